/**
 * What a client may read of an error: no server paths and no CLI flags. Messages written for the command
 * line name files by their path and suggest flags (`--vae`, `waterline models pull`); over HTTP the same
 * text would reveal the data directory, upload temp files or the models cache, and suggest things a client
 * cannot do. Logs keep the full text; responses go through `clientText`.
 *
 * - A path inside the data directory becomes its data-directory-relative name (how clients name scenes);
 *   an upload's temporary file becomes "the upload".
 * - Any other absolute path under a server root (the configured directories, the temp and home
 *   directories, the working directory, and the usual system roots) becomes `<server path>`.
 *   API paths such as `/jobs/{id}` are left alone.
 * - A parenthesised hint that mentions a CLI flag or a `waterline` command is dropped; a flag left in the
 *   message reads as the option's name (`--bands` → `bands`, the job option of the same name).
 */
import { homedir, tmpdir } from 'node:os';
import { UPLOADS_SUBDIR } from './dataDir.ts';

export type ClientText = (text: string) => string;

const SYSTEM_ROOTS = ['bin', 'boot', 'dev', 'etc', 'home', 'lib', 'lib64', 'media', 'mnt', 'nix', 'opt', 'private', 'proc', 'root', 'run', 'sbin', 'snap', 'srv', 'sys', 'tmp', 'Users', 'usr', 'var', 'Volumes', 'work'];

/** Characters that end a path token in a message. */
const PATH = String.raw`(?:/[^\s"'\`()<>,;:|]*)`;

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface ClientTextOptions {
  /** The data directory (real path) and any other spellings of it. */
  dataDirs: string[];
  /** Other server directories (models cache...). */
  serverDirs?: string[];
}

export function createClientText(options: ClientTextOptions): ClientText {
  const dataDirs = [...new Set(options.dataDirs.filter((d) => d.length > 1).map((d) => d.replace(/\/+$/, '')))].sort((a, b) => b.length - a.length);
  const roots = [...new Set([...(options.serverDirs ?? []), tmpdir(), homedir(), process.cwd()].filter((d) => d && d.length > 1).map((d) => d.replace(/\/+$/, '')))].sort((a, b) => b.length - a.length);
  const inData = dataDirs.length ? new RegExp(`(?:${dataDirs.map(escape).join('|')})(?:/([^\\s"'\`()<>,;:|]*))?`, 'g') : null;
  const elsewhere = new RegExp(`(?<![\\w.\\-/])(?:(?:${roots.map(escape).join('|')})${PATH}?|/(?:${SYSTEM_ROOTS.join('|')})${PATH}?)(?![\\w])`, 'g');
  const flagHint = /\s*\((?:[^()]|\([^()]*\))*?(?:(?<![\w-])--[a-z]|`waterline\b)(?:[^()]|\([^()]*\))*\)/g;
  return (text) => {
    let out = text.replace(flagHint, '');
    if (inData) {
      out = out.replace(inData, (_m, rel: string | undefined) => {
        if (!rel) return '<data directory>';
        if (rel.startsWith(`${UPLOADS_SUBDIR}/.`)) return 'the upload';
        return rel;
      });
    }
    out = out.replace(elsewhere, '<server path>');
    return out.replace(/(^|[\s"'(])--([a-z][a-z0-9-]*)/g, '$1$2');
  };
}
