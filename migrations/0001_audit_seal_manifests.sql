CREATE TABLE `audit_seal_manifests` (
	`seal_id` text NOT NULL,
	`chunk` integer NOT NULL,
	`entries` text NOT NULL,
	PRIMARY KEY(`seal_id`, `chunk`),
	FOREIGN KEY (`seal_id`) REFERENCES `audit_seals`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `audit_seals` ADD `pruned_at` integer;