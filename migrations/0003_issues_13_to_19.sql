CREATE TABLE `board_links` (
	`nonce` text PRIMARY KEY NOT NULL,
	`person_id` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `board_links_expires` ON `board_links` (`expires_at`);--> statement-breakpoint
CREATE TABLE `evidence` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`assignment_id` integer,
	`person_id` integer,
	`sender_open_id` text NOT NULL,
	`chat_id` text,
	`message_id` text NOT NULL,
	`file_key` text NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`content_type` text NOT NULL,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	`status` text DEFAULT 'attached' NOT NULL,
	`via` text,
	`created_at` integer NOT NULL,
	`attached_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `evidence_message_file` ON `evidence` (`message_id`,`file_key`);--> statement-breakpoint
CREATE INDEX `evidence_assignment` ON `evidence` (`assignment_id`);--> statement-breakpoint
CREATE INDEX `evidence_sender_status` ON `evidence` (`sender_open_id`,`status`);--> statement-breakpoint
CREATE INDEX `evidence_sha` ON `evidence` (`sha256`);--> statement-breakpoint
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
CREATE TABLE `urgent_log` (
	`outbox_id` integer PRIMARY KEY NOT NULL,
	`message_id` text NOT NULL,
	`result` text DEFAULT 'pending' NOT NULL,
	`detail` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `metric_reports` ADD `period` text;--> statement-breakpoint
ALTER TABLE `metric_reports` ADD `value_text` text;--> statement-breakpoint
ALTER TABLE `outbox` ADD `due_at` integer;--> statement-breakpoint
CREATE INDEX `outbox_sent` ON `outbox` (`status`,`sent_at`);--> statement-breakpoint
ALTER TABLE `progress_reports` ADD `withdrawn_at` integer;--> statement-breakpoint
CREATE INDEX `progress_source_message` ON `progress_reports` (`source_message_id`);--> statement-breakpoint
ALTER TABLE `unmatched_messages` ADD `assignment_id` integer;--> statement-breakpoint
ALTER TABLE `unmatched_messages` ADD `resolved_by` integer;--> statement-breakpoint
ALTER TABLE `unmatched_messages` ADD `resolved_at` integer;