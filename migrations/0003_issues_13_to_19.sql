CREATE TABLE `board_links` (
	`nonce` text PRIMARY KEY NOT NULL,
	`person_id` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `board_links_expires` ON `board_links` (`expires_at`);--> statement-breakpoint
CREATE TABLE `role_history` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`person_id` integer NOT NULL,
	`role` text NOT NULL,
	`unit_id` integer DEFAULT 0 NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer NOT NULL,
	`ended_by` integer,
	`reason` text NOT NULL,
	`successor_id` integer,
	`note` text,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `role_history_person` ON `role_history` (`person_id`);--> statement-breakpoint
CREATE INDEX `role_history_unit` ON `role_history` (`unit_id`);--> statement-breakpoint
ALTER TABLE `metric_reports` ADD `period` text;--> statement-breakpoint
ALTER TABLE `metric_reports` ADD `value_text` text;--> statement-breakpoint
ALTER TABLE `outbox` ADD `due_at` integer;--> statement-breakpoint
CREATE INDEX `outbox_sent` ON `outbox` (`status`,`sent_at`);--> statement-breakpoint
ALTER TABLE `progress_reports` ADD `withdrawn_at` integer;--> statement-breakpoint
CREATE INDEX `progress_source_message` ON `progress_reports` (`source_message_id`);--> statement-breakpoint
ALTER TABLE `unmatched_messages` ADD `assignment_id` integer;--> statement-breakpoint
ALTER TABLE `unmatched_messages` ADD `resolved_by` integer;--> statement-breakpoint
ALTER TABLE `unmatched_messages` ADD `resolved_at` integer;