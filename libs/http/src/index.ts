export { ErrorFilter, toHttpError } from './error.filter';
export { ZodValidationPipe } from './zod-validation.pipe';
