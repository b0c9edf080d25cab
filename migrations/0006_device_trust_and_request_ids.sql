ALTER TABLE `users` ADD `trusted_devices_reset_at` integer;--> statement-breakpoint
ALTER TABLE `audit_logs` ADD `client_request_id` text;--> statement-breakpoint
CREATE INDEX `audit_logs_request_id_idx` ON `audit_logs` (`request_id`);--> statement-breakpoint
CREATE INDEX `audit_logs_client_request_id_idx` ON `audit_logs` (`client_request_id`);--> statement-breakpoint
ALTER TABLE `error_logs` ADD `client_request_id` text;