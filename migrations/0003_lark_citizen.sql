ALTER TABLE `outbox` ADD `due_at` integer;--> statement-breakpoint
CREATE INDEX `outbox_sent` ON `outbox` (`status`,`sent_at`);--> statement-breakpoint
ALTER TABLE `progress_reports` ADD `withdrawn_at` integer;--> statement-breakpoint
CREATE INDEX `progress_source_message` ON `progress_reports` (`source_message_id`);