-- The ten most played artists: plays, distinct songs played, and on how
-- many days of the month they were played.
SELECT a.artist_id, a.artist_name, COUNT(*) AS plays, COUNT(DISTINCT sp.song_id) AS songs,
       COUNT(DISTINCT t.day) AS days
FROM songplays sp
JOIN artists a ON a.artist_id = sp.artist_id
JOIN time t ON t.timestamp = sp.start_time
GROUP BY a.artist_id, a.artist_name
ORDER BY plays DESC, a.artist_id
LIMIT 10
