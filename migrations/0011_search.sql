CREATE TABLE `search_documents` (
	`doc_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`resource_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`published` integer NOT NULL,
	`title` text NOT NULL,
	`body` text NOT NULL,
	`tags` text NOT NULL,
	`subject` text,
	`topic` text,
	`difficulty` text,
	`question_type` text,
	`version` integer NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	`indexed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `search_documents_resource_id_unique` ON `search_documents` (`resource_id`);--> statement-breakpoint
CREATE INDEX `search_documents_kind_owner_idx` ON `search_documents` (`kind`,`owner_id`);--> statement-breakpoint
CREATE INDEX `search_documents_kind_published_idx` ON `search_documents` (`kind`,`published`);--> statement-breakpoint
-- Written by hand (Drizzle has no virtual tables): the FTS5 indexes over search_documents, kept in step by triggers.
-- Words (unicode61, diacritics folded), columns weighted title > body > tags at query time with bm25().
CREATE VIRTUAL TABLE `search_fts` USING fts5(title, body, tags, content='search_documents', content_rowid='doc_id', tokenize='unicode61 remove_diacritics 2');--> statement-breakpoint
-- Trigrams: partial words and small typos.
CREATE VIRTUAL TABLE `search_trigram` USING fts5(title, body, content='search_documents', content_rowid='doc_id', tokenize='trigram');--> statement-breakpoint
CREATE TRIGGER `search_documents_after_insert` AFTER INSERT ON `search_documents` BEGIN
  INSERT INTO search_fts(rowid, title, body, tags) VALUES (new.doc_id, new.title, new.body, new.tags);
  INSERT INTO search_trigram(rowid, title, body) VALUES (new.doc_id, new.title, new.body);
END;--> statement-breakpoint
CREATE TRIGGER `search_documents_after_delete` AFTER DELETE ON `search_documents` BEGIN
  INSERT INTO search_fts(search_fts, rowid, title, body, tags) VALUES ('delete', old.doc_id, old.title, old.body, old.tags);
  INSERT INTO search_trigram(search_trigram, rowid, title, body) VALUES ('delete', old.doc_id, old.title, old.body);
END;--> statement-breakpoint
CREATE TRIGGER `search_documents_after_update` AFTER UPDATE ON `search_documents` BEGIN
  INSERT INTO search_fts(search_fts, rowid, title, body, tags) VALUES ('delete', old.doc_id, old.title, old.body, old.tags);
  INSERT INTO search_trigram(search_trigram, rowid, title, body) VALUES ('delete', old.doc_id, old.title, old.body);
  INSERT INTO search_fts(rowid, title, body, tags) VALUES (new.doc_id, new.title, new.body, new.tags);
  INSERT INTO search_trigram(rowid, title, body) VALUES (new.doc_id, new.title, new.body);
END;
