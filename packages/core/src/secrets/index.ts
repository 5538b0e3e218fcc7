export { isLoginRefused, SecretCredentialsClient } from './client.js';
export { type EnvironmentPasswords, passwordPlace, passwordsOfEnvironment } from './environment.js';
export {
  describeReference,
  PASSWORD_REFERENCE_PARAMS,
  type PasswordReference,
  type PasswordReferenceKind,
  passwordReferenceOf,
  passwordReferenceSchema,
  referenceId,
  referenceKind,
  withPasswordReference,
} from './reference.js';
export {
  credentialsFor,
  credentialsOfSecret,
  type DatabaseCredentials,
  refreshCredentials,
  registerSecretResolver,
  type SecretResolver,
  secretResolver,
} from './resolver.js';
