import { CountsQuerySchema, ListQuerySchema } from './api-requests';

describe('ListQuerySchema and CountsQuerySchema', () => {
  it.each(['2020-01-01T00:00:00Z', '2020-01-01T00:00:00.123456Z', '0001-01-01T00:00:00+15:59', '9999-12-31T23:59:59-15:59', '2020-01-01T00:00:00+05:30'])(
    'take the instant %s, which Postgres takes',
    (instant) => {
      expect(ListQuerySchema.safeParse({ from: instant }).success).toBe(true);
      expect(CountsQuerySchema.safeParse({ to: instant }).success).toBe(true);
    },
  );

  it.each([
    ['an offset Postgres refuses', '0001-01-01T00:00:00+23:59', 'offset must be within ±15:59'],
    ['a negative one', '9999-12-31T23:59:59-16:00', 'offset must be within ±15:59'],
    ['year 0', '0000-06-01T00:00:00Z', 'year must be 1 or later'],
  ])('refuse %s (it was a 500 from the database)', (_what, instant, message) => {
    for (const [schema, field] of [[ListQuerySchema, 'from'], [CountsQuerySchema, 'to']] as const) {
      const parsed = schema.safeParse({ [field]: instant });
      expect(parsed.error?.issues).toEqual([expect.objectContaining({ path: [field], message })]);
    }
  });
});
