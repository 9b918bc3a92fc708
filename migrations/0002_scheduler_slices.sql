CREATE TABLE `scheduler_slices` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`planned_at` integer NOT NULL,
	`first_claim_id` integer NOT NULL,
	`last_claim_id` integer,
	`created_at` integer NOT NULL
);
