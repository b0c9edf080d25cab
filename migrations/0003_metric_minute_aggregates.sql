-- Hand-written: system_metrics goes from one row per point to minute aggregates (count, sum, min,
-- max, sparse histogram bins). drizzle-kit generated `ALTER TABLE system_metrics ADD count integer
-- NOT NULL` (no default), which SQLite refuses on a table that has rows, and it cannot convert the
-- points; so the table is rebuilt as drizzle rebuilds tables, with the conversion in the copy. Existing
-- points are merged per (name, tags, minute) — the same answers as one row per point, fewer rows.
-- The bin index is `sketchIndex` (src/lib/metrics/sketch.ts) in SQL; a test checks they agree.
CREATE TABLE `__new_system_metrics` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`tags` text DEFAULT '{}' NOT NULL,
	`tags_key` text DEFAULT '' NOT NULL,
	`timestamp` integer NOT NULL,
	`count` integer NOT NULL,
	`sum` real NOT NULL,
	`min` real NOT NULL,
	`max` real NOT NULL,
	`bins` text NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_system_metrics` (`name`, `tags`, `tags_key`, `timestamp`, `count`, `sum`, `min`, `max`, `bins`)
SELECT `name`, MIN(`tags`), `tags_key`, `minute`, SUM(`n`), SUM(`total`), MIN(`low`), MAX(`high`), json_group_object(`bin`, `n`)
FROM (
	SELECT `name`, MIN(`tags`) AS `tags`, `tags_key`, `timestamp` - `timestamp` % 60000 AS `minute`,
		CASE WHEN `value` <= 0.001 THEN 0 ELSE min(125, CAST(ceil(ln(`value` / 0.001) / ln(1.25) - 1e-9) AS INTEGER)) END AS `bin`,
		COUNT(*) AS `n`, SUM(`value`) AS `total`, MIN(`value`) AS `low`, MAX(`value`) AS `high`
	FROM `system_metrics`
	GROUP BY `name`, `tags_key`, `minute`, `bin`
)
GROUP BY `name`, `tags_key`, `minute`;
--> statement-breakpoint
DROP TABLE `system_metrics`;
--> statement-breakpoint
ALTER TABLE `__new_system_metrics` RENAME TO `system_metrics`;
--> statement-breakpoint
CREATE INDEX `system_metrics_name_timestamp_idx` ON `system_metrics` (`name`,`timestamp`);
--> statement-breakpoint
CREATE INDEX `system_metrics_timestamp_idx` ON `system_metrics` (`timestamp`);
