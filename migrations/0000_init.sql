CREATE TABLE `user_logins` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`ip` text,
	`user_agent_hash` text,
	`country` text,
	`city` text,
	`latitude` real,
	`longitude` real,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `user_logins_user_id_created_at_idx` ON `user_logins` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`role` text DEFAULT 'student' NOT NULL,
	`password_hash` text NOT NULL,
	`bio` text,
	`avatar_url` text,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`target_exam` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`last_login_at` integer,
	CONSTRAINT "users_email_lower_check" CHECK("users"."email" = lower("users"."email"))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);--> statement-breakpoint
CREATE INDEX `users_role_idx` ON `users` (`role`);--> statement-breakpoint
CREATE INDEX `users_created_at_idx` ON `users` (`created_at`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	`last_seen_at` integer,
	`ip` text,
	`user_agent` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_token_hash_unique` ON `sessions` (`token_hash`);--> statement-breakpoint
CREATE INDEX `sessions_user_id_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE INDEX `sessions_expires_at_idx` ON `sessions` (`expires_at`);--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`key_hash` text NOT NULL,
	`previous_key_hash` text,
	`previous_key_expires_at` integer,
	`scopes` text DEFAULT '[]' NOT NULL,
	`owner_id` text NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	`last_used_at` integer,
	`usage_count` integer DEFAULT 0 NOT NULL,
	`rate_limit_limit` integer,
	`rate_limit_window_seconds` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_owner_id_idx` ON `api_keys` (`owner_id`);--> statement-breakpoint
CREATE INDEX `api_keys_previous_key_hash_idx` ON `api_keys` (`previous_key_hash`);--> statement-breakpoint
CREATE TABLE `audit_logs` (
	`id` text PRIMARY KEY NOT NULL,
	`action` text NOT NULL,
	`status` text DEFAULT 'SUCCESS' NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text,
	`api_key_id` text,
	`target_type` text,
	`target_id` text,
	`changes` text,
	`ip` text,
	`user_agent` text,
	`country` text,
	`city` text,
	`colo` text,
	`request_id` text,
	`duration_ms` integer,
	`metadata` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_logs_created_at_idx` ON `audit_logs` (`created_at`);--> statement-breakpoint
CREATE INDEX `audit_logs_actor_id_created_at_idx` ON `audit_logs` (`actor_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `audit_logs_api_key_id_created_at_idx` ON `audit_logs` (`api_key_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `audit_logs_action_created_at_idx` ON `audit_logs` (`action`,`created_at`);--> statement-breakpoint
CREATE INDEX `audit_logs_target_type_target_id_idx` ON `audit_logs` (`target_type`,`target_id`);--> statement-breakpoint
CREATE INDEX `audit_logs_status_created_at_idx` ON `audit_logs` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `audit_logs_ip_idx` ON `audit_logs` (`ip`);--> statement-breakpoint
CREATE INDEX `audit_logs_country_idx` ON `audit_logs` (`country`);--> statement-breakpoint
CREATE TABLE `audit_seals` (
	`id` text PRIMARY KEY NOT NULL,
	`period_start` integer NOT NULL,
	`period_end` integer NOT NULL,
	`row_count` integer NOT NULL,
	`first_row_id` text,
	`last_row_id` text,
	`hash` text NOT NULL,
	`previous_hash` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `audit_seals_period_start_unique` ON `audit_seals` (`period_start`);--> statement-breakpoint
CREATE TABLE `error_logs` (
	`id` text PRIMARY KEY NOT NULL,
	`severity` text DEFAULT 'ERROR' NOT NULL,
	`message` text NOT NULL,
	`error_code` text,
	`error_type` text,
	`stack` text,
	`fingerprint` text NOT NULL,
	`occurrences` integer DEFAULT 1 NOT NULL,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`source` text NOT NULL,
	`path` text,
	`method` text,
	`headers` text,
	`body` text,
	`request_id` text,
	`user_id` text,
	`resolved_at` integer,
	`resolved_by` text,
	`resolution_note` text,
	`last_alerted_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `error_logs_fingerprint_unique` ON `error_logs` (`fingerprint`);--> statement-breakpoint
CREATE INDEX `error_logs_severity_last_seen_at_idx` ON `error_logs` (`severity`,`last_seen_at`);--> statement-breakpoint
CREATE INDEX `error_logs_last_seen_at_idx` ON `error_logs` (`last_seen_at`);--> statement-breakpoint
CREATE INDEX `error_logs_resolved_at_idx` ON `error_logs` (`resolved_at`);--> statement-breakpoint
CREATE INDEX `error_logs_user_id_idx` ON `error_logs` (`user_id`);--> statement-breakpoint
CREATE TABLE `metric_rollups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`bucket` text NOT NULL,
	`bucket_start` integer NOT NULL,
	`tags_key` text DEFAULT '' NOT NULL,
	`tags` text DEFAULT '{}' NOT NULL,
	`count` integer NOT NULL,
	`sum` real NOT NULL,
	`min` real NOT NULL,
	`max` real NOT NULL,
	`sketch` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `metric_rollups_name_bucket_bucket_start_tags_key_idx` ON `metric_rollups` (`name`,`bucket`,`bucket_start`,`tags_key`);--> statement-breakpoint
CREATE INDEX `metric_rollups_bucket_bucket_start_idx` ON `metric_rollups` (`bucket`,`bucket_start`);--> statement-breakpoint
CREATE TABLE `system_metrics` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`value` real NOT NULL,
	`tags` text DEFAULT '{}' NOT NULL,
	`tags_key` text DEFAULT '' NOT NULL,
	`timestamp` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `system_metrics_name_timestamp_idx` ON `system_metrics` (`name`,`timestamp`);--> statement-breakpoint
CREATE INDEX `system_metrics_timestamp_idx` ON `system_metrics` (`timestamp`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`queue` text DEFAULT 'default' NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`priority` integer DEFAULT 0 NOT NULL,
	`payload` text DEFAULT '{}' NOT NULL,
	`result` text,
	`error` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer DEFAULT 3 NOT NULL,
	`progress` integer DEFAULT 0 NOT NULL,
	`progress_message` text,
	`owner_id` text,
	`idempotency_key` text,
	`scheduled_for` integer,
	`enqueued_at` integer,
	`started_at` integer,
	`finished_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_idempotency_key_unique` ON `jobs` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `jobs_queue_status_idx` ON `jobs` (`queue`,`status`);--> statement-breakpoint
CREATE INDEX `jobs_status_scheduled_for_idx` ON `jobs` (`status`,`scheduled_for`);--> statement-breakpoint
CREATE INDEX `jobs_type_created_at_idx` ON `jobs` (`type`,`created_at`);--> statement-breakpoint
CREATE INDEX `jobs_created_at_idx` ON `jobs` (`created_at`);--> statement-breakpoint
CREATE INDEX `jobs_owner_id_idx` ON `jobs` (`owner_id`);--> statement-breakpoint
CREATE TABLE `queue_states` (
	`queue` text PRIMARY KEY NOT NULL,
	`paused` integer DEFAULT false NOT NULL,
	`paused_at` integer,
	`paused_by` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `rate_limit_logs` (
	`id` text PRIMARY KEY NOT NULL,
	`policy` text NOT NULL,
	`key_kind` text NOT NULL,
	`key` text NOT NULL,
	`window_start` integer NOT NULL,
	`window_seconds` integer NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`limit` integer NOT NULL,
	`blocked_until` integer,
	`block_level` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rate_limit_logs_policy_key_window_start_idx` ON `rate_limit_logs` (`policy`,`key`,`window_start`);--> statement-breakpoint
CREATE INDEX `rate_limit_logs_blocked_until_idx` ON `rate_limit_logs` (`blocked_until`);--> statement-breakpoint
CREATE INDEX `rate_limit_logs_created_at_idx` ON `rate_limit_logs` (`created_at`);--> statement-breakpoint
CREATE TABLE `security_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`severity` text NOT NULL,
	`status` text DEFAULT 'OPEN' NOT NULL,
	`actor_id` text,
	`api_key_id` text,
	`ip` text,
	`user_agent` text,
	`country` text,
	`city` text,
	`latitude` real,
	`longitude` real,
	`request_id` text,
	`details` text,
	`resolution_note` text,
	`updated_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `security_events_type_created_at_idx` ON `security_events` (`type`,`created_at`);--> statement-breakpoint
CREATE INDEX `security_events_severity_created_at_idx` ON `security_events` (`severity`,`created_at`);--> statement-breakpoint
CREATE INDEX `security_events_status_created_at_idx` ON `security_events` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `security_events_created_at_idx` ON `security_events` (`created_at`);--> statement-breakpoint
CREATE INDEX `security_events_ip_idx` ON `security_events` (`ip`);--> statement-breakpoint
CREATE INDEX `security_events_actor_id_idx` ON `security_events` (`actor_id`);--> statement-breakpoint
CREATE TABLE `cache_entries` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`expires_at` integer,
	`hit_count` integer DEFAULT 0 NOT NULL,
	`last_accessed_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `cache_entries_expires_at_idx` ON `cache_entries` (`expires_at`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`aggregate_type` text NOT NULL,
	`aggregate_id` text NOT NULL,
	`actor_id` text,
	`payload` text DEFAULT '{}' NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`error` text,
	`processed_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_status_created_at_idx` ON `events` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `events_type_created_at_idx` ON `events` (`type`,`created_at`);--> statement-breakpoint
CREATE INDEX `events_aggregate_type_aggregate_id_idx` ON `events` (`aggregate_type`,`aggregate_id`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`webhook_id` text NOT NULL,
	`event_id` text,
	`event_type` text,
	`request_headers` text,
	`request_body` text,
	`response_status` integer,
	`response_body` text,
	`response_time_ms` integer,
	`attempt` integer DEFAULT 1 NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`next_retry_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`webhook_id`) REFERENCES `webhooks`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_webhook_id_created_at_idx` ON `webhook_deliveries` (`webhook_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_status_next_retry_at_idx` ON `webhook_deliveries` (`status`,`next_retry_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_event_id_idx` ON `webhook_deliveries` (`event_id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_created_at_idx` ON `webhook_deliveries` (`created_at`);--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`url` text NOT NULL,
	`secret` text NOT NULL,
	`event_types` text DEFAULT '[]' NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`success_count` integer DEFAULT 0 NOT NULL,
	`failure_count` integer DEFAULT 0 NOT NULL,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`last_delivery_at` integer,
	`disabled_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhooks_owner_id_idx` ON `webhooks` (`owner_id`);--> statement-breakpoint
CREATE TABLE `uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`key` text NOT NULL,
	`filename` text NOT NULL,
	`size` integer NOT NULL,
	`content_type` text NOT NULL,
	`sha256` text NOT NULL,
	`purpose` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `uploads_key_unique` ON `uploads` (`key`);--> statement-breakpoint
CREATE INDEX `uploads_owner_id_idx` ON `uploads` (`owner_id`);--> statement-breakpoint
CREATE TABLE `questions` (
	`id` text PRIMARY KEY NOT NULL,
	`author_id` text NOT NULL,
	`type` text NOT NULL,
	`body` text NOT NULL,
	`options` text,
	`answer_key` text NOT NULL,
	`marks` real DEFAULT 1 NOT NULL,
	`negative_marks` real DEFAULT 0 NOT NULL,
	`difficulty` text DEFAULT 'medium' NOT NULL,
	`subject` text NOT NULL,
	`topic` text,
	`explanation` text,
	`image_upload_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`image_upload_id`) REFERENCES `uploads`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `questions_author_id_created_at_idx` ON `questions` (`author_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `questions_subject_topic_idx` ON `questions` (`subject`,`topic`);--> statement-breakpoint
CREATE INDEX `questions_type_idx` ON `questions` (`type`);--> statement-breakpoint
CREATE INDEX `questions_difficulty_idx` ON `questions` (`difficulty`);--> statement-breakpoint
CREATE INDEX `questions_created_at_idx` ON `questions` (`created_at`);--> statement-breakpoint
CREATE INDEX `questions_image_upload_id_idx` ON `questions` (`image_upload_id`);--> statement-breakpoint
CREATE TABLE `test_section_questions` (
	`section_id` text NOT NULL,
	`question_id` text NOT NULL,
	`position` integer NOT NULL,
	PRIMARY KEY(`section_id`, `question_id`),
	FOREIGN KEY (`section_id`) REFERENCES `test_sections`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`question_id`) REFERENCES `questions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `test_section_questions_question_id_idx` ON `test_section_questions` (`question_id`);--> statement-breakpoint
CREATE TABLE `test_sections` (
	`id` text PRIMARY KEY NOT NULL,
	`test_id` text NOT NULL,
	`position` integer NOT NULL,
	`title` text NOT NULL,
	`marks_per_question` real,
	`negative_marks` real,
	FOREIGN KEY (`test_id`) REFERENCES `tests`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `test_sections_test_id_position_idx` ON `test_sections` (`test_id`,`position`);--> statement-breakpoint
CREATE TABLE `tests` (
	`id` text PRIMARY KEY NOT NULL,
	`author_id` text NOT NULL,
	`title` text NOT NULL,
	`description` text,
	`duration_minutes` integer NOT NULL,
	`msq_scoring` text DEFAULT 'all_or_nothing' NOT NULL,
	`published` integer DEFAULT false NOT NULL,
	`published_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `tests_author_id_created_at_idx` ON `tests` (`author_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `tests_published_created_at_idx` ON `tests` (`published`,`created_at`);--> statement-breakpoint
CREATE TABLE `answers` (
	`attempt_id` text NOT NULL,
	`question_id` text NOT NULL,
	`answer` text,
	`answered_at` integer,
	`time_spent_seconds` integer DEFAULT 0 NOT NULL,
	`marks_awarded` real,
	`is_correct` integer,
	`graded_marks` real,
	`feedback` text,
	`graded_by` text,
	`graded_at` integer,
	PRIMARY KEY(`attempt_id`, `question_id`),
	FOREIGN KEY (`attempt_id`) REFERENCES `attempts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`question_id`) REFERENCES `questions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `answers_question_id_idx` ON `answers` (`question_id`);--> statement-breakpoint
CREATE TABLE `attempts` (
	`id` text PRIMARY KEY NOT NULL,
	`test_id` text NOT NULL,
	`user_id` text NOT NULL,
	`status` text DEFAULT 'IN_PROGRESS' NOT NULL,
	`started_at` integer NOT NULL,
	`deadline_at` integer NOT NULL,
	`submitted_at` integer,
	`auto_submitted` integer DEFAULT false NOT NULL,
	`scored_at` integer,
	`score` real,
	`max_score` real,
	`provisional` integer DEFAULT false NOT NULL,
	`result` text,
	`scoring_job_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`test_id`) REFERENCES `tests`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `attempts_user_id_created_at_idx` ON `attempts` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `attempts_test_id_status_idx` ON `attempts` (`test_id`,`status`);--> statement-breakpoint
CREATE INDEX `attempts_status_deadline_at_idx` ON `attempts` (`status`,`deadline_at`);--> statement-breakpoint
CREATE TABLE `question_stats` (
	`question_id` text PRIMARY KEY NOT NULL,
	`attempted` integer DEFAULT 0 NOT NULL,
	`correct` integer DEFAULT 0 NOT NULL,
	`total_time_seconds` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`question_id`) REFERENCES `questions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `test_stats` (
	`test_id` text PRIMARY KEY NOT NULL,
	`attempt_count` integer DEFAULT 0 NOT NULL,
	`score_sum` real DEFAULT 0 NOT NULL,
	`score_sum_squares` real DEFAULT 0 NOT NULL,
	`min_score` real,
	`max_score` real,
	`distribution` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`test_id`) REFERENCES `tests`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `coupon_redemptions` (
	`id` text PRIMARY KEY NOT NULL,
	`coupon_id` text NOT NULL,
	`user_id` text NOT NULL,
	`subscription_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`coupon_id`) REFERENCES `coupons`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `coupon_redemptions_coupon_id_user_id_idx` ON `coupon_redemptions` (`coupon_id`,`user_id`);--> statement-breakpoint
CREATE INDEX `coupon_redemptions_user_id_idx` ON `coupon_redemptions` (`user_id`);--> statement-breakpoint
CREATE INDEX `coupon_redemptions_subscription_id_idx` ON `coupon_redemptions` (`subscription_id`);--> statement-breakpoint
CREATE TABLE `coupons` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`kind` text NOT NULL,
	`value` integer NOT NULL,
	`valid_from` integer,
	`valid_until` integer,
	`max_redemptions` integer,
	`redemption_count` integer DEFAULT 0 NOT NULL,
	`plan_ids` text,
	`active` integer DEFAULT true NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "coupons_code_upper_check" CHECK("coupons"."code" = upper("coupons"."code")),
	CONSTRAINT "coupons_value_check" CHECK(("coupons"."kind" = 'PERCENT' AND "coupons"."value" BETWEEN 1 AND 100) OR ("coupons"."kind" = 'FIXED' AND "coupons"."value" > 0))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `coupons_code_unique` ON `coupons` (`code`);--> statement-breakpoint
CREATE TABLE `plans` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`price_cents` integer NOT NULL,
	`currency` text DEFAULT 'USD' NOT NULL,
	`interval_months` integer NOT NULL,
	`features` text DEFAULT '[]' NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`plan_id` text NOT NULL,
	`coupon_id` text,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`price_cents` integer NOT NULL,
	`discount_cents` integer DEFAULT 0 NOT NULL,
	`amount_cents` integer NOT NULL,
	`currency` text NOT NULL,
	`starts_at` integer,
	`ends_at` integer,
	`activated_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`plan_id`) REFERENCES `plans`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`coupon_id`) REFERENCES `coupons`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `subscriptions_user_id_created_at_idx` ON `subscriptions` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `subscriptions_status_idx` ON `subscriptions` (`status`);--> statement-breakpoint
CREATE TABLE `study_goals` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`title` text NOT NULL,
	`subject` text,
	`target_date` integer NOT NULL,
	`target_hours` real NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `study_goals_user_id_target_date_idx` ON `study_goals` (`user_id`,`target_date`);--> statement-breakpoint
CREATE TABLE `study_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`goal_id` text,
	`subject` text,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`notes` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`goal_id`) REFERENCES `study_goals`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `study_sessions_user_id_started_at_idx` ON `study_sessions` (`user_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `study_sessions_goal_id_idx` ON `study_sessions` (`goal_id`);