ALTER TABLE `unmatched_messages` ADD `assignment_id` integer;--> statement-breakpoint
ALTER TABLE `unmatched_messages` ADD `resolved_by` integer;--> statement-breakpoint
ALTER TABLE `unmatched_messages` ADD `resolved_at` integer;