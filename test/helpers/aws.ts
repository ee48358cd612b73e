import { randomBytes } from 'node:crypto';

/** Made-up AWS keys for tests: the verifier knows them as IAM would. */
export const staticKeys = {
  accessKeyId: 'AKIDDBTOKENTEST0001',
  secretAccessKey: 'dbtoken/test/secret/' + randomBytes(12).toString('hex'),
};

/** Temporary credentials of Lambda's shape: a session token makes the signed token ~1,250+ characters. */
export const temporaryKeys = {
  accessKeyId: 'ASIADBTOKENTEST0002',
  secretAccessKey: 'dbtoken/test/temp/' + randomBytes(12).toString('hex'),
  sessionToken: 'IQoJb3JpZ2luX2VjE' + randomBytes(690).toString('base64').replace(/[+/=]/g, 'A'),
};

export const otherKeys = {
  accessKeyId: 'AKIDDBTOKENTEST0003',
  secretAccessKey: 'dbtoken/test/other/' + randomBytes(12).toString('hex'),
};

export const REGION = 'us-east-1';
