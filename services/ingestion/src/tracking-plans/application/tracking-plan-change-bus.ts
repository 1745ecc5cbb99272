/**
 * KeyChangeBus (@cdp/tenancy) on `SUBJECTS.ingestionTrackingPlanChanged`: tells every process to
 * drop what it cached about a plan (`keyId` = the plan id, `tp_…`) or about which plan a source
 * uses (`keyId` = the source id, `src_…`). Change is always `owner_changed`.
 */
export const TRACKING_PLAN_CHANGE_BUS = Symbol.for('cdp.ingestion.tracking-plan-change-bus');
