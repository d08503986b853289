// Append-only list of migrations, oldest first. Never edit one that has shipped: add a new one.
import * as initial from './20261204000001_initial.js';
import * as mfa from './20261204000002_mfa.js';
import * as passwordResets from './20261204000003_password_resets.js';

export const migrations = [initial, mfa, passwordResets];
