-- Users who upgraded: their current level (users) is paid and they played
-- as free users before playing as paid ones; with their plays at each level.
SELECT u.userId, u.firstName, u.lastName, f.free_plays, COUNT(*) AS paid_plays
FROM users u
JOIN (SELECT user_id, MIN(start_time) AS first_free, COUNT(*) AS free_plays
      FROM songplays WHERE level = 'free' GROUP BY user_id) f ON f.user_id = u.userId
JOIN songplays p ON p.user_id = u.userId AND p.level = 'paid'
WHERE u.level = 'paid'
GROUP BY u.userId, u.firstName, u.lastName, f.free_plays
HAVING MAX(p.start_time) > MIN(f.first_free)
ORDER BY u.userId
