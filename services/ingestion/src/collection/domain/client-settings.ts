/**
 * The settings object analytics-next fetches from `<cdnURL>/v1/projects/<writeKey>/settings`
 * before it sends anything. Only `integrations['Segment.io']` matters to us: it points the SDK's
 * Segment.io destination at this service (`<protocol>://<apiHost>/<t|i|p|s|g|a>`); the rest keeps
 * the SDK from loading device-mode destinations, middleware or remote metrics.
 */
export function clientSettings(writeKey: string, publicUrl: URL): Record<string, unknown> {
  const protocol = publicUrl.protocol.replace(/:$/, '');
  const path = publicUrl.pathname.replace(/\/+$/, '');
  return {
    integrations: {
      'Segment.io': {
        apiKey: writeKey,
        apiHost: `${publicUrl.host}${path}/v1`,
        protocol,
        unbundledIntegrations: [],
        addBundledMetadata: false,
        maybeBundledConfigIds: {},
        versionSettings: { version: '4.4.7', componentTypes: ['browser'] },
      },
    },
    plan: {
      track: { __default: { enabled: true, integrations: {} } },
      identify: { __default: { enabled: true } },
      group: { __default: { enabled: true } },
    },
    edgeFunction: {},
    analyticsNextEnabled: true,
    middlewareSettings: {},
    enabledMiddleware: {},
    metrics: { sampleRate: 0 },
    legacyVideoPluginsEnabled: false,
    remotePlugins: [],
  };
}
