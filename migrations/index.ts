// Append-only list of migrations, oldest first. Never edit one that has shipped: add a new one.
import * as initial from './20261204000001_initial.js';

export const migrations = [initial];
