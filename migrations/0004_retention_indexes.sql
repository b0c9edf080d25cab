CREATE TABLE `file_sweep_cursors` (
	`prefix` text PRIMARY KEY NOT NULL,
	`start_after` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sessions_revoked_at_idx` ON `sessions` (`revoked_at`);--> statement-breakpoint
CREATE INDEX `jobs_status_finished_at_idx` ON `jobs` (`status`,`finished_at`);