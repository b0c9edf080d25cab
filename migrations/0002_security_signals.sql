CREATE TABLE `login_failures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email_hash` text NOT NULL,
	`user_id` text,
	`ip` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `login_failures_email_hash_created_at_idx` ON `login_failures` (`email_hash`,`created_at`);--> statement-breakpoint
CREATE INDEX `login_failures_ip_created_at_idx` ON `login_failures` (`ip`,`created_at`);--> statement-breakpoint
CREATE INDEX `login_failures_created_at_idx` ON `login_failures` (`created_at`);--> statement-breakpoint
CREATE TABLE `security_counters` (
	`key` text NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`key`, `window_start`)
);
--> statement-breakpoint
CREATE INDEX `security_counters_expires_at_idx` ON `security_counters` (`expires_at`);