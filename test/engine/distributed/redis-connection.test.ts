import { describe, expect, it } from 'vitest'
import {
  connectionError,
  parseRedisUrl,
  redactUrl
} from '../../../src-main/engine/distributed/redis-connection'

describe('Redis URLs', () => {
  it.each([
    ['redis://localhost:6379', 'redis://localhost:6379'],
    ['redis://:s3cret@10.0.0.5:6379/2', 'redis://:***@10.0.0.5:6379/2'],
    ['rediss://user:p%40ss@redis.example.com:6380', 'rediss://user:***@redis.example.com:6380']
  ])('accepts %s, shown as %s', (url, label) => {
    expect(parseRedisUrl(url)).toEqual({ url, label })
  })

  it.each([
    ['localhost:6379', /is not a Redis URL: it must start with redis:\/\/ \(or rediss:\/\/ for TLS\)/],
    ['http://host:6379', /is not a Redis URL: it must start with redis:\/\//],
    [
      'redis://:pw@host:6379/queue',
      /^redis:\/\/:\*\*\*@host:6379\/queue: the path must be a database number such as \/0$/
    ],
    ['not a url at all', /is not a Redis URL: write redis:\/\/host:6379/]
  ])('rejects %s with what to write instead', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message)
  })

  it('hides the password in whatever it shows', () => {
    expect(redactUrl('redis://admin:hunter2@h:1')).toBe('redis://admin:***@h:1')
    expect(redactUrl('redis://h:1')).toBe('redis://h:1')
  })
})

describe('connection errors', () => {
  const target = parseRedisUrl('redis://:pw@db.example:6379')
  const failure = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {})

  it.each([
    [
      failure('connect ECONNREFUSED 10.0.0.1:6379', 'ECONNREFUSED'),
      'Cannot reach Redis at redis://:***@db.example:6379 (connection refused). Is redis-server running?'
    ],
    [
      failure('getaddrinfo ENOTFOUND db.example', 'ENOTFOUND'),
      'Cannot reach Redis at redis://:***@db.example:6379 (host not found). Is redis-server running?'
    ],
    [
      failure('connect ETIMEDOUT', 'ETIMEDOUT'),
      'Cannot reach Redis at redis://:***@db.example:6379 (no answer in time). Is redis-server running?'
    ],
    [
      failure('WRONGPASS invalid username-password pair or user is disabled.'),
      'Redis at redis://:***@db.example:6379 refused the user name or password (WRONGPASS invalid username-password pair or user is disabled.). Check them in the URL: redis://user:password@host:6379.'
    ],
    [
      failure('NOAUTH Authentication required.'),
      'Redis at redis://:***@db.example:6379 requires a password (NOAUTH Authentication required.). Put it in the URL: redis://:password@host:6379.'
    ]
  ])('explains %s', (error, message) => {
    expect(connectionError(target, error).message).toBe(message)
  })

  it('adds the advice it is given', () => {
    expect(connectionError(target, failure('x', 'ECONNREFUSED'), 'Finish it locally.').message).toMatch(
      /running\? Finish it locally\.$/
    )
  })
})
