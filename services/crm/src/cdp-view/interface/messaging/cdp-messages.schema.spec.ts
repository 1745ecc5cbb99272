import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  contactLinks,
  parseMembershipChanged,
  parseMerged,
  parseProfileUpdated,
  parseSplit,
} from './cdp-messages.schema';

const echo = (aggregateId: string, version: unknown, profileId = 'prof_1') => ({
  event: { type: 'identify', context: { crm: { aggregateType: 'contact', aggregateId, version } } },
  profileId,
});

describe('CDP messages the CRM consumes', () => {
  test('contact links: only items naming a contact; both item shapes; versions as strings', () => {
    assert.deepEqual(
      contactLinks({
        items: [
          { event: { type: 'track', properties: { huge: 'x'.repeat(1000) } }, profileId: 'prof_9' },
          echo('con_1', '3'),
          {
            type: 'identify',
            context: { crm: { aggregateType: 'contact', aggregateId: 'con_2', version: 1 } },
            profileId: 'prof_2',
          },
          {
            event: { context: { crm: { aggregateType: 'deal', aggregateId: 'deal_1' } } },
            profileId: 'prof_3',
          },
        ],
      }),
      [
        { contactId: 'con_1', profileId: 'prof_1', contactVersion: 3 },
        { contactId: 'con_2', profileId: 'prof_2', contactVersion: 1 },
      ],
    );
    assert.equal(typeof contactLinks({ items: 'nope' }), 'string');
    assert.equal(typeof contactLinks({ items: [echo('con_1', 'three')] }), 'string');
  });

  test('merges, splits, profile updates and memberships in canonical proto JSON', () => {
    assert.deepEqual(parseMerged({ survivingProfileId: 'p1', mergedProfileIds: ['p2'] }), {
      survivingProfileId: 'p1',
      mergedProfileIds: ['p2'],
    });
    assert.equal(typeof parseMerged({ survivingProfileId: 'p1', mergedProfileIds: [] }), 'string');
    assert.deepEqual(
      parseSplit({
        sourceProfileId: 'p1',
        parts: [
          { profileId: 'p1', identifiers: [{ type: 'email', value: 'a@b.example' }] },
          { profileId: 'p2', identifiers: [{ type: 'crm_contact_id', value: 'con_1' }] },
        ],
      }),
      {
        sourceProfileId: 'p1',
        parts: [
          { profileId: 'p1', contactIds: [] },
          { profileId: 'p2', contactIds: ['con_1'] },
        ],
      },
    );
    assert.deepEqual(
      parseProfileUpdated({
        profileId: 'p1',
        version: '7',
        changes: [
          { key: 'computed.total_revenue', operation: 'TRAIT_OPERATION_SET', value: 10 },
          { key: 'plan', operation: 'TRAIT_OPERATION_UNSET', previousValue: 'pro' },
        ],
      }),
      {
        profileId: 'p1',
        version: 7,
        changes: [
          { key: 'computed.total_revenue', operation: 'set', value: 10 },
          { key: 'plan', operation: 'unset' },
        ],
      },
    );
    assert.equal(typeof parseProfileUpdated({ profileId: 'p1', changes: [] }), 'string');
    assert.deepEqual(
      parseMembershipChanged({
        segmentId: 'seg_1',
        segmentVersion: '2',
        changes: [
          { profileId: 'p1', transition: 'MEMBERSHIP_TRANSITION_ENTERED' },
          { profileId: 'p2', transition: 'MEMBERSHIP_TRANSITION_EXITED' },
        ],
      }),
      {
        segmentId: 'seg_1',
        segmentVersion: 2,
        changes: [
          { profileId: 'p1', member: true },
          { profileId: 'p2', member: false },
        ],
      },
    );
  });
});
