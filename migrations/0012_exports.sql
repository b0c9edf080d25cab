CREATE TABLE `exports` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`kind` text NOT NULL,
	`format` text NOT NULL,
	`params` text NOT NULL,
	`byte_order_mark` integer DEFAULT false NOT NULL,
	`status` text DEFAULT 'QUEUED' NOT NULL,
	`idempotency_key` text,
	`job_id` text NOT NULL,
	`filename` text NOT NULL,
	`content_type` text NOT NULL,
	`file_key` text,
	`size_bytes` integer,
	`row_count` integer,
	`error` text,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`completed_at` integer,
	`expires_at` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `exports_owner_id_id_idx` ON `exports` (`owner_id`,`id`);--> statement-breakpoint
CREATE INDEX `exports_status_expires_at_idx` ON `exports` (`status`,`expires_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `exports_owner_id_idempotency_key_idx` ON `exports` (`owner_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `attempts_test_id_id_idx` ON `attempts` (`test_id`,`id`);