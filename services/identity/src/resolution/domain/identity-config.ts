import { getCountries, type CountryCode } from 'libphonenumber-js';
import { DomainError } from '@cdp/contracts';
import {
  BUILT_IN_IDENTIFIER_TYPES,
  IDENTIFIER_TYPE_PATTERN,
  compareStrings,
  type Identifier,
  type IdentifierType,
} from './identifier';

/**
 * `known` identifiers name a person (user id, email, phone, CRM contact); `anonymous` ones name
 * a browser or a device. Only a trusted source may merge two profiles that are both known.
 */
export type IdentifierClass = 'known' | 'anonymous';

/** Kinds of the source an observation came through (ingestion's source kinds, plus our own). */
export const SOURCE_KINDS = ['browser', 'mobile', 'server', 'import', 'crm', 'api'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface BlockRule {
  readonly kind: 'exact' | 'regex';
  /** Exact: compared case-insensitively with the normalised value. Regex: matched with flags `iu`. */
  readonly pattern: string;
}

export interface IdentifierTypeConfig {
  readonly type: IdentifierType;
  /** Max identifiers of this type one profile may ever hold. */
  readonly limit: number;
  readonly class: IdentifierClass;
  /** Where else in an event this type is read from (`traits.email`, `context.device.id`). */
  readonly paths: readonly string[];
  readonly blockList: readonly BlockRule[];
}

/** What a workspace sends to configure identity resolution (all optional: defaults apply). */
export interface IdentityConfigInput {
  /** Custom identifier types (`device_id`, `loyalty_id`): lower_snake_case. */
  readonly customTypes?: readonly {
    readonly type: string;
    readonly class?: IdentifierClass;
    readonly paths?: readonly string[];
  }[];
  /** Priority order, highest first; types not listed follow in the default order. */
  readonly priority?: readonly string[];
  readonly limits?: Readonly<Record<string, number>>;
  /** Extra paths per type, added to the defaults. */
  readonly paths?: Readonly<Record<string, readonly string[]>>;
  readonly blockLists?: Readonly<Record<string, readonly BlockRule[]>>;
  /** On (default): limits and priority keep profiles apart. Off: flat matching, limits ignored. */
  readonly mergeProtection?: boolean;
  /** ISO 3166 alpha-2 region for phone numbers written without a country code. */
  readonly defaultPhoneRegion?: string;
  /** Source kinds allowed to merge two known profiles (default server, import, crm, api). */
  readonly trustedSourceKinds?: readonly string[];
}

export const DEFAULT_LIMITS: Readonly<Record<string, number>> = { user_id: 1 };
export const DEFAULT_LIMIT = 5;
export const MAX_LIMIT = 1000;
const MAX_PATHS_PER_TYPE = 10;
const MAX_BLOCK_RULES_PER_TYPE = 200;
const MAX_PATTERN_LENGTH = 200;
const MAX_CUSTOM_TYPES = 20;
const PATH_PATTERN = /^(traits|context|properties)(\.[A-Za-z0-9_$-]+){1,5}$/;

/** Default priority: user_id, email, then the rest (anonymous ids, then custom types, last). */
const DEFAULT_PRIORITY: readonly string[] = BUILT_IN_IDENTIFIER_TYPES;
const DEFAULT_PATHS: Readonly<Record<string, readonly string[]>> = {
  email: ['traits.email', 'context.traits.email'],
  phone: ['traits.phone', 'context.traits.phone'],
  device_id: ['context.device.id'],
};
const DEFAULT_TRUSTED: readonly SourceKind[] = ['server', 'import', 'crm', 'api'];
const COUNTRIES = new Set<string>(getCountries());

/** Invalid identity configuration; `details.field` names the offending field. */
export class IdentityConfigError extends DomainError {
  constructor(field: string, message: string) {
    super('invalid', 'identity.config_invalid', `${field}: ${message}`, { field });
    this.name = 'IdentityConfigError';
  }
}

interface CompiledBlockList {
  readonly exact: ReadonlySet<string>;
  readonly regexes: readonly RegExp[];
}

/** A workspace's validated identity rules (value object: build it with `IdentityConfig.from`). */
export class IdentityConfig {
  private readonly byType: ReadonlyMap<IdentifierType, IdentifierTypeConfig>;
  private readonly rank: ReadonlyMap<IdentifierType, number>;
  private readonly blocks: ReadonlyMap<IdentifierType, CompiledBlockList>;

  private constructor(
    /** In priority order, highest first. */
    readonly types: readonly IdentifierTypeConfig[],
    readonly mergeProtection: boolean,
    readonly defaultPhoneRegion: CountryCode | undefined,
    readonly trustedSourceKinds: readonly SourceKind[],
  ) {
    this.byType = new Map(types.map((t) => [t.type, t]));
    this.rank = new Map(types.map((t, i) => [t.type, i]));
    this.blocks = new Map(
      types.map((t) => [
        t.type,
        {
          exact: new Set(
            t.blockList.filter((r) => r.kind === 'exact').map((r) => r.pattern.toLowerCase()),
          ),
          regexes: t.blockList
            .filter((r) => r.kind === 'regex')
            .map((r) => new RegExp(r.pattern, 'iu')),
        },
      ]),
    );
  }

  static readonly DEFAULT: IdentityConfig = IdentityConfig.from({});

  /** Validates and completes `input` with the defaults; throws IdentityConfigError. */
  static from(input: IdentityConfigInput): IdentityConfig {
    const custom = input.customTypes ?? [];
    if (custom.length > MAX_CUSTOM_TYPES)
      throw new IdentityConfigError('customTypes', `at most ${MAX_CUSTOM_TYPES} custom types`);
    const classes = new Map<string, IdentifierClass>(
      BUILT_IN_IDENTIFIER_TYPES.map((t) => [t, t === 'anonymous_id' ? 'anonymous' : 'known']),
    );
    const declaredPaths = new Map<string, readonly string[]>();
    custom.forEach((c, i) => {
      const field = `customTypes[${i}].type`;
      if (typeof c.type !== 'string' || !IDENTIFIER_TYPE_PATTERN.test(c.type))
        throw new IdentityConfigError(field, 'must be lower_snake_case, 1-40 characters');
      if (classes.has(c.type))
        throw new IdentityConfigError(field, `"${c.type}" is already defined`);
      if (c.class !== undefined && c.class !== 'known' && c.class !== 'anonymous')
        throw new IdentityConfigError(`customTypes[${i}].class`, 'must be "known" or "anonymous"');
      classes.set(c.type, c.class ?? 'anonymous');
      declaredPaths.set(c.type, c.paths ?? []);
    });
    const known = (field: string, type: string): void => {
      if (!classes.has(type))
        throw new IdentityConfigError(field, `unknown identifier type "${type}"`);
    };

    const priority = input.priority ?? [];
    const seen = new Set<string>();
    priority.forEach((type, i) => {
      known(`priority[${i}]`, type);
      if (seen.has(type)) throw new IdentityConfigError(`priority[${i}]`, `"${type}" is repeated`);
      seen.add(type);
    });
    const order = [
      ...priority,
      ...DEFAULT_PRIORITY.filter((t) => !seen.has(t)),
      ...custom.map((c) => c.type).filter((t) => !seen.has(t)),
    ];

    for (const [type, limit] of Object.entries(input.limits ?? {})) {
      known(`limits.${type}`, type);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
        throw new IdentityConfigError(
          `limits.${type}`,
          `must be an integer from 1 to ${MAX_LIMIT}`,
        );
    }
    for (const type of Object.keys(input.paths ?? {})) known(`paths.${type}`, type);
    for (const [type, rules] of Object.entries(input.blockLists ?? {})) {
      known(`blockLists.${type}`, type);
      if (rules.length > MAX_BLOCK_RULES_PER_TYPE)
        throw new IdentityConfigError(
          `blockLists.${type}`,
          `at most ${MAX_BLOCK_RULES_PER_TYPE} rules`,
        );
      rules.forEach((rule, i) => validateBlockRule(`blockLists.${type}[${i}]`, rule));
    }

    const types = order.map((type): IdentifierTypeConfig => {
      const paths = [
        ...new Set([
          ...(DEFAULT_PATHS[type] ?? []),
          ...(declaredPaths.get(type) ?? []),
          ...(input.paths?.[type] ?? []),
        ]),
      ];
      if (paths.length > MAX_PATHS_PER_TYPE)
        throw new IdentityConfigError(`paths.${type}`, `at most ${MAX_PATHS_PER_TYPE} paths`);
      paths.forEach((path, i) => {
        if (typeof path !== 'string' || !PATH_PATTERN.test(path))
          throw new IdentityConfigError(
            `paths.${type}[${i}]`,
            `"${String(path)}" is not a path like traits.email or context.device.id`,
          );
      });
      return {
        type,
        limit: input.limits?.[type] ?? DEFAULT_LIMITS[type] ?? DEFAULT_LIMIT,
        class: classes.get(type) ?? 'anonymous',
        paths,
        blockList: input.blockLists?.[type] ?? [],
      };
    });

    const mergeProtection = input.mergeProtection ?? true;
    if (typeof mergeProtection !== 'boolean')
      throw new IdentityConfigError('mergeProtection', 'must be a boolean');

    const region = input.defaultPhoneRegion?.toUpperCase();
    if (region !== undefined && !COUNTRIES.has(region))
      throw new IdentityConfigError(
        'defaultPhoneRegion',
        `"${input.defaultPhoneRegion}" is not an ISO 3166 alpha-2 region with a phone plan`,
      );

    const trusted = input.trustedSourceKinds ?? DEFAULT_TRUSTED;
    trusted.forEach((kind, i) => {
      if (!(SOURCE_KINDS as readonly string[]).includes(kind))
        throw new IdentityConfigError(
          `trustedSourceKinds[${i}]`,
          `must be one of ${SOURCE_KINDS.join(', ')}`,
        );
    });

    return new IdentityConfig(
      types,
      mergeProtection,
      region as CountryCode | undefined,
      trusted as readonly SourceKind[],
    );
  }

  has(type: IdentifierType): boolean {
    return this.byType.has(type);
  }

  typeConfig(type: IdentifierType): IdentifierTypeConfig | undefined {
    return this.byType.get(type);
  }

  limit(type: IdentifierType): number {
    return this.byType.get(type)?.limit ?? DEFAULT_LIMIT;
  }

  classOf(type: IdentifierType): IdentifierClass {
    return this.byType.get(type)?.class ?? 'anonymous';
  }

  /** 0 is the highest priority. */
  priority(type: IdentifierType): number {
    return this.rank.get(type) ?? this.types.length;
  }

  /** Highest priority first; within a type, by value (deterministic). */
  compare(a: Identifier, b: Identifier): number {
    return this.priority(a.type) - this.priority(b.type) || compareStrings(a.value, b.value);
  }

  isTrusted(kind: SourceKind): boolean {
    return this.trustedSourceKinds.includes(kind);
  }

  /** The block rule `value` (normalised) matches, if any. */
  blockedBy(type: IdentifierType, value: string): BlockRule | undefined {
    const list = this.blocks.get(type);
    if (!list) return undefined;
    if (list.exact.has(value.toLowerCase())) return { kind: 'exact', pattern: value.toLowerCase() };
    const regex = list.regexes.find((r) => r.test(value));
    return regex ? { kind: 'regex', pattern: regex.source } : undefined;
  }
}

function validateBlockRule(field: string, rule: BlockRule): void {
  if (rule.kind !== 'exact' && rule.kind !== 'regex')
    throw new IdentityConfigError(`${field}.kind`, 'must be "exact" or "regex"');
  if (typeof rule.pattern !== 'string' || rule.pattern.length === 0)
    throw new IdentityConfigError(`${field}.pattern`, 'must be a non-empty string');
  if (rule.pattern.length > MAX_PATTERN_LENGTH)
    throw new IdentityConfigError(`${field}.pattern`, `at most ${MAX_PATTERN_LENGTH} characters`);
  if (rule.kind === 'regex') {
    try {
      new RegExp(rule.pattern, 'iu');
    } catch {
      throw new IdentityConfigError(`${field}.pattern`, 'is not a valid regular expression');
    }
  }
}
