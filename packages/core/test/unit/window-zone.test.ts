import fc from 'fast-check';
import { IANAZone } from 'luxon';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isValidTimeZone, UTC_NAMES, zoneOffsetFunction } from '../../src/window/zone.js';
import { CANONICAL_ZONE_NAMES } from '../../src/window/zone-names.js';

// luxon judged zones and computed offsets before Intl was used directly; it stays here as the reference.
const luxonAccepts = (name: string) => IANAZone.isValidZone(name);
const luxonOffsetMs = (name: string, ms: number) => Math.round(IANAZone.create(name).offset(ms) * 60_000);

const CANONICAL = Intl.supportedValuesOf('timeZone');
const ALIASES = [
  'Asia/Calcutta',
  'Asia/Kolkata',
  'Asia/Saigon',
  'US/Eastern',
  'US/Pacific',
  'Etc/GMT+5',
  'Etc/GMT-14',
  'GMT0',
  'EST',
  'EST5EDT',
  'Europe/Kiev',
  'America/Buenos_Aires',
  'America/Argentina/ComodRivadavia',
  'Navajo',
  'PRC',
];
const UTC_SPELLINGS = ['UTC', 'UCT', 'GMT', 'Universal', 'Zulu'].flatMap((name) => [
  name,
  `Etc/${name}`,
  name.toLowerCase(),
  `etc/${name.toUpperCase()}`,
]);
const GARBAGE = [
  '',
  'Mars/Olympus',
  'UTC ',
  ' UTC',
  'Asia/Shanghai ',
  'Asia',
  'Asia/',
  '/UTC',
  'Etc/GMT+15',
  'GMT+8',
  '+05:00',
  '-0800',
  'Z',
  'local',
  'Asia/Shang hai',
  'utc\n',
];

describe('isValidTimeZone accepts exactly what luxon accepted', () => {
  it('every canonical zone, as named and in other cases', () => {
    for (const name of CANONICAL) {
      for (const spelling of [name, name.toLowerCase(), name.toUpperCase()]) {
        expect(isValidTimeZone(spelling), spelling).toBe(luxonAccepts(spelling));
      }
    }
    expect(isValidTimeZone('asia/shanghai')).toBe(true);
  });

  it.each([...ALIASES, ...UTC_SPELLINGS])('%s (an alias)', (name) => {
    expect(luxonAccepts(name)).toBe(true);
    expect(isValidTimeZone(name)).toBe(true);
  });

  it.each(GARBAGE)('rejects %j', (name) => {
    expect(luxonAccepts(name)).toBe(false);
    expect(isValidTimeZone(name)).toBe(false);
  });

  it('agrees on arbitrary strings and mangled zone names', () => {
    const mangled = fc
      .tuple(fc.constantFrom(...CANONICAL, ...ALIASES), fc.nat(), fc.string({ maxLength: 2 }))
      .map(([name, at, insert]) => {
        const i = at % (name.length + 1);
        return name.slice(0, i) + insert + name.slice(i + (at % 2));
      });
    fc.assert(
      fc.property(fc.oneof(mangled, fc.string({ maxLength: 12 })), (name) => {
        expect(isValidTimeZone(name)).toBe(luxonAccepts(name));
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('isValidTimeZone on the cold path', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  // Constructing the first DateTimeFormat of a process costs ~12 ms (ICU locale data), at job definition.
  it('constructs no DateTimeFormat for a canonical zone or UTC', async () => {
    vi.resetModules(); // a fresh module: no formatter cached by the tests above
    const { isValidTimeZone } = await import('../../src/window/zone.js');
    const construct = vi.spyOn(Intl, 'DateTimeFormat');
    for (const name of ['Asia/Shanghai', 'America/New_York', 'UTC', 'Etc/UTC', 'GMT', 'utc']) {
      expect(isValidTimeZone(name)).toBe(true);
    }
    expect(construct).not.toHaveBeenCalled();
    expect(isValidTimeZone('US/Eastern')).toBe(true);
    expect(construct).toHaveBeenCalledOnce(); // an alias is judged by Intl itself
  });

  // Intl.supportedValuesOf('timeZone') costs a cold start 1.5 ms: the names are read from zone-names.ts.
  it('does not ask Intl for its list of zones', async () => {
    vi.resetModules();
    const { isValidTimeZone } = await import('../../src/window/zone.js');
    const list = vi.spyOn(Intl, 'supportedValuesOf');
    expect(isValidTimeZone('Asia/Shanghai')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(list).not.toHaveBeenCalled();
  });
});

describe('zone-names.ts', () => {
  const listed = CANONICAL_ZONE_NAMES.split(' ');

  it('lists only zones this runtime knows, each once', () => {
    expect(new Set(listed).size).toBe(listed.length);
    for (const name of listed) {
      expect(() => new Intl.DateTimeFormat('en-US', { timeZone: name }), name).not.toThrow();
      expect(luxonAccepts(name), name).toBe(true);
    }
  });
});

const ZONES = [
  'Asia/Shanghai',
  'Asia/Calcutta',
  'Asia/Kathmandu',
  'America/New_York',
  'US/Eastern',
  'Europe/London',
  'Europe/Amsterdam',
  'Europe/Dublin',
  'Africa/Monrovia',
  'Australia/Lord_Howe',
  'Pacific/Apia',
  'Pacific/Kiritimati',
  'America/St_Johns',
  'Etc/GMT+5',
  'asia/shanghai',
  'UTC',
];
const YEAR = 365.2425 * 86_400_000;

describe('zoneOffsetFunction', () => {
  it('is undefined for a zone Intl does not know', () => {
    expect(zoneOffsetFunction('Mars/Olympus')).toBeUndefined();
  });

  it.each([
    // Local mean time, before standard offsets: whole seconds, not minutes.
    ['Asia/Shanghai', '1900-01-01T00:00:00Z', (8 * 3600 + 5 * 60 + 43) * 1000],
    ['Africa/Monrovia', '1970-01-01T00:00:00Z', -(44 * 60 + 30) * 1000],
    ['Asia/Shanghai', '2026-06-01T00:00:00Z', 8 * 3_600_000],
    ['America/New_York', '2026-07-01T12:00:00Z', -4 * 3_600_000],
    ['America/New_York', '2026-01-01T12:00:00Z', -5 * 3_600_000],
    ['Asia/Kathmandu', '2026-01-01T00:00:00Z', (5 * 60 + 45) * 60_000],
    ['Etc/GMT+5', '2026-01-01T00:00:00Z', -5 * 3_600_000],
  ])('%s at %s is %d ms', (zone, instant, expected) => {
    expect(zoneOffsetFunction(zone)!(Date.parse(instant))).toBe(expected);
  });

  it('changes at the exact millisecond of a DST change', () => {
    const offset = zoneOffsetFunction('America/New_York')!;
    const change = Date.parse('2026-03-08T07:00:00Z');
    expect(offset(change - 1)).toBe(-5 * 3_600_000);
    expect(offset(change)).toBe(-4 * 3_600_000);
  });

  it('matches luxon at local midnight, 24:00 and across years 1 to 99 and BC', () => {
    for (const zone of ZONES) {
      const offset = zoneOffsetFunction(zone)!;
      for (const instant of [
        Date.parse('2026-03-29T00:00:00+08:00'),
        Date.parse('0050-06-15T16:00:00Z'),
        Date.parse('0099-12-31T23:59:59.999Z'),
        Date.parse('0000-02-29T12:00:00Z'),
        Date.parse('-000100-01-01T00:00:00Z'),
        -1,
        0,
      ]) {
        expect(offset(instant), `${zone} ${instant}`).toBe(luxonOffsetMs(zone, instant));
      }
    }
  });

  it('matches luxon for random instants from 1800 to 2100', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: Math.round(-170 * YEAR), max: Math.round(130 * YEAR) }),
        (zone, instant) => {
          expect(zoneOffsetFunction(zone)!(instant)).toBe(luxonOffsetMs(zone, instant));
        },
      ),
      { numRuns: 5_000 },
    );
  });
});

describe('UTC_NAMES', () => {
  it('names only zones whose offset is always 0', () => {
    for (const name of UTC_SPELLINGS) {
      expect(UTC_NAMES.test(name), name).toBe(true);
      expect(luxonOffsetMs(name, Date.parse('1900-01-01T00:00:00Z'))).toBe(0);
      expect(luxonOffsetMs(name, Date.parse('2026-07-01T00:00:00Z'))).toBe(0);
    }
  });
});
