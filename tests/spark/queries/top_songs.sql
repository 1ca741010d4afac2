-- The ten most played songs, with their artist and how many users played them.
SELECT s.song_id, s.title, a.artist_name, COUNT(*) AS plays, COUNT(DISTINCT sp.user_id) AS listeners
FROM songplays sp
JOIN songs s ON s.song_id = sp.song_id
JOIN artists a ON a.artist_id = s.artist_id
GROUP BY s.song_id, s.title, a.artist_name
ORDER BY plays DESC, s.song_id
LIMIT 10
