CREATE TABLE `email_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`template` text NOT NULL,
	`category` text NOT NULL,
	`to_address` text NOT NULL,
	`user_id` text,
	`subject` text NOT NULL,
	`html` text,
	`text` text,
	`headers` text DEFAULT '{}' NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`provider` text,
	`provider_message_id` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`dedupe_key` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`sent_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `email_messages_dedupe_key_unique` ON `email_messages` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `email_messages_created_at_idx` ON `email_messages` (`created_at`);--> statement-breakpoint
CREATE INDEX `email_messages_to_address_idx` ON `email_messages` (`to_address`,`created_at`);--> statement-breakpoint
CREATE INDEX `email_messages_status_idx` ON `email_messages` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `email_messages_provider_message_id_idx` ON `email_messages` (`provider_message_id`);--> statement-breakpoint
CREATE TABLE `email_provider_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `email_provider_events_received_at_idx` ON `email_provider_events` (`received_at`);--> statement-breakpoint
CREATE TABLE `email_suppressions` (
	`email` text PRIMARY KEY NOT NULL,
	`reason` text NOT NULL,
	`detail` text,
	`message_id` text,
	`created_by` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `email_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`purpose` text NOT NULL,
	`token_hash` text NOT NULL,
	`email` text NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `email_tokens_token_hash_unique` ON `email_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `email_tokens_user_id_purpose_idx` ON `email_tokens` (`user_id`,`purpose`);--> statement-breakpoint
CREATE INDEX `email_tokens_expires_at_idx` ON `email_tokens` (`expires_at`);--> statement-breakpoint
CREATE TABLE `notification_preferences` (
	`user_id` text PRIMARY KEY NOT NULL,
	`result_ready` integer DEFAULT true NOT NULL,
	`subjective_graded` integer DEFAULT true NOT NULL,
	`weekly_summary` integer DEFAULT false NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `users` ADD `email_verified_at` integer;