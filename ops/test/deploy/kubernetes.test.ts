import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { findRepoRoot } from '@sagaflow/contracts/testing';

const dir = join(findRepoRoot(), 'deploy', 'k8s');

/** The models of the kinds the base uses; an unknown kind fails the test instead of passing unchecked. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Service': Service,
};

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: any;
}

async function manifests(): Promise<{ file: string; manifest: Manifest }[]> {
  const kustomization = (await readFile(join(dir, 'kustomization.yaml'), 'utf8')).toString();
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
  const listed = [...kustomization.matchAll(/^ {2}- (\S+\.yaml)$/gm)].map((m) => m[1]);
  expect(listed.sort(), 'kustomization.yaml lists every manifest').to.deep.equal([...files].sort());
  const found: { file: string; manifest: Manifest }[] = [];
  for (const file of files) {
    for (const document of parseAllDocuments(await readFile(join(dir, file), 'utf8'))) {
      expect(document.errors, `${file} parses`).to.deep.equal([]);
      found.push({ file, manifest: document.toJS() as Manifest });
    }
  }
  return found;
}

describe('Kubernetes manifests (deploy/k8s)', () => {
  it('validate against the Kubernetes API schemas', async () => {
    const all = await manifests();
    expect(all.length).to.be.greaterThan(10);
    for (const { file, manifest } of all) {
      const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
      expect(Model, `${file}: a model for ${manifest.apiVersion} ${manifest.kind}`).to.not.equal(undefined);
      expect(
        () => new Model(manifest as never).validate(),
        `${file}: ${manifest.kind} ${manifest.metadata.name}`,
      ).to.not.throw();
    }
  });

  it('catches an invalid manifest (the check is real)', () => {
    const broken = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 'two' } };
    expect(() => new Deployment(broken as never).validate()).to.throw();
  });

  it('runs every service probed, bounded, non-root, with a disruption budget; participants scale out', async () => {
    const all = (await manifests()).map((m) => m.manifest);
    const deployments = all.filter((m) => m.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).to.deep.equal([
      'inventory',
      'notification',
      'orchestrator',
      'payment',
    ]);
    for (const deployment of deployments) {
      const name = deployment.metadata.name;
      const pod = deployment.spec.template.spec;
      const [container] = pod.containers;
      expect(container.livenessProbe.httpGet.path, name).to.equal('/healthz');
      expect(container.readinessProbe.httpGet.path, name).to.equal('/readyz');
      expect(container.resources.requests, name).to.have.keys('cpu', 'memory');
      expect(container.resources.limits, name).to.have.keys('cpu', 'memory');
      expect(pod.securityContext.runAsNonRoot, name).to.equal(true);
      expect(container.securityContext.allowPrivilegeEscalation, name).to.equal(false);
      const secrets = container.env.filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => e.name);
      expect(secrets, `${name} takes its credentials from the Secret`).to.include.members(['AMQP_URL', 'STORE_URL']);
      const budget = all.find((m) => m.kind === 'PodDisruptionBudget' && m.metadata.name === name);
      expect(budget?.spec.selector.matchLabels, `${name}'s PodDisruptionBudget`).to.deep.equal(
        deployment.spec.selector.matchLabels,
      );
      expect(
        all.some((m) => m.kind === 'Service' && m.metadata.name === name),
        `${name}'s Service`,
      ).to.equal(true);
      if (name !== 'orchestrator') {
        const hpa = all.find((m) => m.kind === 'HorizontalPodAutoscaler' && m.metadata.name === name);
        expect(deployment.spec.replicas, name).to.be.at.least(2);
        expect(hpa?.spec.minReplicas, `${name}'s autoscaler`).to.be.at.least(2);
      }
    }
  });
});
