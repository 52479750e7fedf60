// The Debian packages pulse's own checks run on: the one list. `npm test` installs TEST_PACKAGES
// first (scripts/ensure-packages.ts, as the postinstall does for Chromium), `npm run test:image`
// installs IMAGE_TEST_PACKAGES where it has no Docker engine, and test/e2e/deploy.test.ts checks that
// the image ships nothing from apt the suite does not test with.

export interface DebianPackage {
  name: string;
  /** What it installs that is used: absolute paths, or command names looked up on PATH. */
  provides: readonly string[];
  /** What it is used for, shown when it is missing. */
  usedFor: string;
}

/** What `npm test` needs: the browser and fonts the image ships, and the Prometheus tools. */
export const TEST_PACKAGES: readonly DebianPackage[] = [
  { name: 'chromium-headless-shell', provides: ['/usr/lib/chromium/chromium-headless-shell'], usedFor: 'the browser pulse drives, as in the image' },
  { name: 'chromium', provides: ['/usr/bin/chromium'], usedFor: 'full Chromium, which the bench compares with the headless shell' },
  {
    name: 'fonts-liberation',
    provides: ['/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf'],
    usedFor: 'the fonts pages render with in the image',
  },
  { name: 'fonts-noto-color-emoji', provides: ['/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf'], usedFor: 'emoji in screenshots, as in the image' },
  {
    name: 'prometheus',
    provides: ['/usr/bin/prometheus', 'promtool'],
    usedFor: 'promtool checks of /metrics and the rules; a real Prometheus runs the alerts',
  },
  { name: 'prometheus-pushgateway', provides: ['/usr/bin/prometheus-pushgateway'], usedFor: 'the push sink against a real Pushgateway' },
  { name: 'prometheus-alertmanager', provides: ['/usr/bin/prometheus-alertmanager', 'amtool'], usedFor: 'the alerts delivered through a real Alertmanager' },
];

/**
 * What `npm run test:image` needs where there is no Docker engine: podman builds and runs the
 * image with runc, and debootstrap makes a base image where no container registry answers.
 */
export const IMAGE_TEST_PACKAGES: readonly DebianPackage[] = [
  { name: 'podman', provides: ['podman'], usedFor: 'builds and runs the image without a Docker engine' },
  { name: 'runc', provides: ['runc'], usedFor: 'the container runtime podman is told to use' },
  { name: 'debootstrap', provides: ['debootstrap'], usedFor: 'a Debian base image where no container registry can be reached' },
];
