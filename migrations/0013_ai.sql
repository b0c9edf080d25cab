CREATE TABLE `ai_usage` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`feature` text NOT NULL,
	`model` text NOT NULL,
	`prompt_tokens` integer NOT NULL,
	`completion_tokens` integer NOT NULL,
	`latency_ms` integer NOT NULL,
	`cost_usd` real NOT NULL,
	`outcome` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `ai_usage_user_id_created_at_idx` ON `ai_usage` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `ai_usage_created_at_idx` ON `ai_usage` (`created_at`);--> statement-breakpoint
ALTER TABLE `questions` ADD `status` text DEFAULT 'published' NOT NULL;--> statement-breakpoint
ALTER TABLE `questions` ADD `generated_by` text;--> statement-breakpoint
ALTER TABLE `questions` ADD `hint` text;--> statement-breakpoint
ALTER TABLE `questions` ADD `hint_generated_by` text;--> statement-breakpoint
ALTER TABLE `tests` ADD `auto_accept_ai_grades` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `tests` ADD `allow_hints` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `tests` ADD `hint_penalty` real DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `answers` ADD `hint_used_at` integer;--> statement-breakpoint
ALTER TABLE `answers` ADD `ai_suggested_marks` real;--> statement-breakpoint
ALTER TABLE `answers` ADD `ai_feedback` text;--> statement-breakpoint
ALTER TABLE `answers` ADD `ai_model` text;--> statement-breakpoint
ALTER TABLE `answers` ADD `ai_suggested_at` integer;--> statement-breakpoint
ALTER TABLE `plans` ADD `ai_monthly_tokens` integer;