-- The quickstart's table: logins, read incrementally by login_time (scripts/quickstart.sh).
CREATE TABLE login (
  id INTEGER PRIMARY KEY,
  username VARCHAR(30) NOT NULL,
  login_time TIMESTAMP NOT NULL,
  amount DECIMAL(10,2)
);
INSERT INTO login VALUES
  (1, 'gwenshap', '2016-10-14 05:46:02', 12.50),
  (2, 'tpalino',  '2016-10-14 05:46:21', NULL),
  (3, 'zoë',      '2016-10-14 05:46:21', 3.99),
  (4, 'jkreps',   '2016-10-14 05:47:00.250', 100.00);
