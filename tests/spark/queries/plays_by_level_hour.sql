-- Plays per subscription level and hour of the day (UTC).
SELECT sp.level, t.hour, COUNT(*) AS plays, COUNT(DISTINCT sp.user_id) AS users
FROM songplays sp
JOIN time t ON t.timestamp = sp.start_time
GROUP BY sp.level, t.hour
ORDER BY sp.level, t.hour
