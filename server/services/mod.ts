/**
 * Services: the manager, one state machine per service, backoff and actions.
 *
 * @module
 */

export {
  type ServiceInfo,
  ServiceManager,
  type ServiceManagerOptions,
  ServiceRequestError,
} from "./manager.ts";
export {
  actionFor,
  nextBackoff,
  ServiceData,
  type ServiceState,
  type ServiceStatus,
  type ShutdownKind,
  stateToStatus,
  withJitter,
} from "./service.ts";
