/* Placeholder translation unit for a module folder that has no sources yet. */
typedef int sl_empty_module_t;
