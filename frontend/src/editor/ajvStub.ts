// @rjsf/core's index re-exports a test helper that imports @rjsf/validator-ajv8. We do not ship ajv
// (its code generation needs 'unsafe-eval' under our CSP); vite aliases that import to this module.
import { cspSafeValidator } from './rjsfValidator';

export default cspSafeValidator;
export const customizeValidator = () => cspSafeValidator;
