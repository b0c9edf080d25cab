CREATE TABLE `cache_tags` (
	`tag` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `cache_entries` ADD `tag_versions` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `cache_entries` ADD `miss_count` integer DEFAULT 0 NOT NULL;