// Append-only list of migrations, oldest first. Never edit one that has shipped: add a new one.
import * as initial from './20261204000001_initial.js';
import * as mfa from './20261204000002_mfa.js';
import * as passwordResets from './20261204000003_password_resets.js';
import * as userSearchIndexes from './20261204000004_user_search_indexes.js';

export const migrations = [initial, mfa, passwordResets, userSearchIndexes];
