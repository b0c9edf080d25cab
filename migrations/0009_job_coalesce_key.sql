ALTER TABLE `jobs` ADD `coalesce_key` text;--> statement-breakpoint
CREATE INDEX `jobs_coalesce_key_status_idx` ON `jobs` (`coalesce_key`,`status`);