// Jest global setup (CommonJS, as jest loads it): prepares the run's migrated template database.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  const root = path.resolve(__dirname, '../..');
  const name = execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'prepare-template.ts')], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  process.env.CALLREC_TEST_TEMPLATE_DB = name;
};
