ALTER TABLE `metric_reports` ADD `period` text;--> statement-breakpoint
ALTER TABLE `metric_reports` ADD `value_text` text;