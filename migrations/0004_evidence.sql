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
CREATE TABLE `urgent_log` (
	`outbox_id` integer PRIMARY KEY NOT NULL,
	`message_id` text NOT NULL,
	`result` text DEFAULT 'pending' NOT NULL,
	`detail` text,
	`created_at` integer NOT NULL
);
