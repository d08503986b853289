// Drops the run's template database and any per-file database a crashed test left behind.
const knex = require('knex');

module.exports = async function globalTeardown() {
  const template = process.env.CALLREC_TEST_TEMPLATE_DB;
  if (!template) return;
  const admin = knex({ client: 'pg', connection: process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres', pool: { min: 0, max: 1 } });
  try {
    const { rows } = await admin.raw('select datname from pg_database where datname like ?', [`${template}%`]);
    for (const { datname } of rows.sort((a, b) => b.datname.length - a.datname.length)) {
      await admin.raw(`drop database if exists "${datname}" with (force)`);
    }
  } finally {
    await admin.destroy();
  }
};
