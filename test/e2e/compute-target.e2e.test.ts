import Redis from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  startRedis,
  startWorker,
  stopAllRedis,
  stopAllWorkers,
  type RedisServer
} from '../engine/distributed/helpers'
import { startApp, type RunningApp } from './harness'

/**
 * A project sent to other machines: the status bar says where runs compute; its dialog checks the Redis
 * address, tests the connection (counting the workers), and saves it in the project. The quickstart batch
 * then computes on a real `batchdesk worker` through a real redis-server, and can be brought back here.
 */
describe('computing a project on workers through Redis', () => {
  let app: RunningApp
  let redis: RedisServer

  beforeAll(async () => {
    redis = await startRedis()
    await startWorker(redis.url)
    app = await startApp({ example: 'quickstart' })
  })
  afterAll(async () => {
    await app?.close()
    await stopAllWorkers()
    await stopAllRedis()
  })

  const dialog = () => app.page.getByTestId('compute-target-dialog')

  it('says the project computes on this computer, and explains the other choice', async () => {
    const { page } = app
    await page.getByTestId('run-table').waitFor()
    expect(await page.getByTestId('compute-on').innerText()).toBe('Computes on this computer')
    await page.getByTestId('compute-on').click()
    await dialog().waitFor()
    expect(await page.getByTestId('compute-here').isChecked()).toBe(true)
    await page.getByTestId('compute-redis').check()
    await page.getByTestId('redis-url').waitFor()
    expect(await page.getByTestId('worker-command').innerText()).toBe(
      'npx batchdesk worker --redis redis://host:6379'
    )
  })

  it('points at a wrong address, then at a Redis that is not running', async () => {
    const { page } = app
    await page.getByTestId('redis-url').fill('build-box:6379')
    await page.getByTestId('redis-test').click()
    expect(await page.getByTestId('redis-url-error').innerText()).toMatch(
      /^A Redis address starts with redis:\/\//
    )
    await page.getByTestId('redis-url').fill('redis://127.0.0.1:1')
    await page.getByTestId('redis-test').click()
    await expect
      .poll(() => page.getByTestId('redis-check').innerText(), { timeout: 10_000 })
      .toMatch(
        /^Cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(connection refused\)\. Is redis-server running\?/
      )
    await app.screenshot('compute-01-unreachable')
  })

  it('tests the real Redis, counts its worker, and saves it in the project', async () => {
    const { page } = app
    await page.getByTestId('redis-url').fill(redis.url)
    expect(await page.getByTestId('worker-command').innerText()).toBe(
      `npx batchdesk worker --redis ${redis.url}`
    )
    await page.getByTestId('redis-test').click()
    await expect
      .poll(() => page.getByTestId('redis-check').innerText(), { timeout: 10_000 })
      .toBe('Connected. 1 worker process on 1 machine ready.')
    await app.screenshot('compute-02-connected')
    await page.getByTestId('compute-target-save').click()
    await dialog().waitFor({ state: 'detached' })
    await expect
      .poll(() => page.getByTestId('compute-on').innerText())
      .toBe(`Computes on workers at ${redis.url}`)
    expect(app.service.project!.manifest.settings.redis).toBe(redis.url)
  })

  it('computes the batch on the worker: the run class went through Redis', async () => {
    const { page } = app
    await page.getByTestId('run-batch').click()
    // What the executor found is said as the batch starts (an info toast, gone after a few seconds).
    await expect
      .poll(() => page.getByTestId('toast').allInnerTexts())
      .toContainEqual(
        expect.stringContaining(`1 worker process on 1 machine(s) pulling from queue 'runs' at ${redis.url}`)
      )
    await page
      .getByTestId('done-count')
      .filter({ hasText: /\b62\b/ })
      .waitFor({ timeout: 60_000 })
    await app.screenshot('compute-03-done-on-workers')
    const client = new Redis(redis.url)
    try {
      // Only a batch sent to workers publishes its compiled run class there.
      expect((await client.keys('batchdesk:code:*')).length).toBe(1)
    } finally {
      client.disconnect()
    }
  })

  it('brings the project back to this computer', async () => {
    const { page } = app
    await page.getByTestId('compute-on').click()
    await dialog().waitFor()
    expect(await page.getByTestId('redis-url').inputValue()).toBe(redis.url)
    await page.getByTestId('compute-here').check()
    await page.getByTestId('compute-target-save').click()
    await dialog().waitFor({ state: 'detached' })
    await expect.poll(() => page.getByTestId('compute-on').innerText()).toBe('Computes on this computer')
    expect(app.service.project!.manifest.settings.redis).toBeUndefined()
  })

  it('raised no uncaught error in the page', () => {
    expect(app.pageErrors.map((error) => error.message)).toEqual([])
  })
})
