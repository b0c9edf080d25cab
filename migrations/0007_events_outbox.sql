CREATE TABLE `event_deliveries` (
	`event_id` text NOT NULL,
	`subscriber` text NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`next_attempt_at` integer,
	`processed_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`event_id`, `subscriber`),
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `event_deliveries_status_next_attempt_at_idx` ON `event_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `event_deliveries_subscriber_status_idx` ON `event_deliveries` (`subscriber`,`status`,`created_at`);--> statement-breakpoint
ALTER TABLE `events` ADD `owner_id` text;--> statement-breakpoint
ALTER TABLE `events` ADD `version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX `events_created_at_idx` ON `events` (`created_at`);--> statement-breakpoint
ALTER TABLE `webhook_deliveries` ADD `message_id` text;--> statement-breakpoint
ALTER TABLE `webhook_deliveries` ADD `error` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `description` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `previous_secret` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `previous_secret_expires_at` integer;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `max_per_second` integer;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `failing_since` integer;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `disabled_reason` text;