/**
 * Errors of the Step Functions API (not of a running workflow): `name` is the API's exception
 * name, which the AWS SDK throws as is; the message follows AWS's wording.
 */
export class ServiceError extends Error {
  override readonly name: string;

  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export const executionDoesNotExist = (arn: string) =>
  new ServiceError("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);
export const stateMachineDoesNotExist = (arn: string) =>
  new ServiceError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${arn}'`);
export const executionAlreadyExists = (arn: string) =>
  new ServiceError("ExecutionAlreadyExists", `Execution Already Exists: '${arn}'`);
export const stateMachineAlreadyExists = (arn: string) =>
  new ServiceError("StateMachineAlreadyExists", `State Machine Already Exists: '${arn}'`);
export const invalidExecutionInput = (detail: string) =>
  new ServiceError("InvalidExecutionInput", `Invalid State Machine Execution Input: '${detail}'`);
export const invalidName = (name: string) => new ServiceError("InvalidName", `Invalid Name: '${name}'`);
export const invalidArn = (arn: string) => new ServiceError("InvalidArn", `Invalid Arn: '${arn}'`);
export const invalidDefinition = (message: string) => new ServiceError("InvalidDefinition", message);
export const executionNotRedrivable = (arn: string, status: string) =>
  new ServiceError("ExecutionNotRedrivable", `Execution is ${status} and cannot be redriven: '${arn}'`);
