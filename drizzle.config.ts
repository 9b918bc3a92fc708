import { defineConfig } from 'drizzle-kit';

// drizzle-kit writes SQL into migrations/; the same folder is D1's migrations_dir.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: './migrations',
});
