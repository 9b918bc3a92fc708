CREATE TABLE `board_links` (
	`nonce` text PRIMARY KEY NOT NULL,
	`person_id` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `board_links_expires` ON `board_links` (`expires_at`);