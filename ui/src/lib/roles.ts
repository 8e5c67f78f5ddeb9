// Who may do what. The server enforces every rule; the UI only leaves out what would be
// refused, so nobody is offered a button that can only fail.

import { createContext, useContext } from "react";
import type { Caller } from "../bindings/Caller";
import type { Role } from "../bindings/Role";

/** Each role includes the ones before it. */
export const ROLES: readonly Role[] = ["viewer", "operator", "approver", "admin"];

export const ROLE_LABEL: Record<Role, string> = {
  viewer: "Viewer",
  operator: "Operator",
  approver: "Approver",
  admin: "Admin",
};

/** One line each, for choosing the role of a new token. */
export const ROLE_DESCRIPTION: Record<Role, string> = {
  viewer: "sees status, check pages and history; changes nothing",
  operator: "also runs checks on demand, tests credentials and handles alerts",
  approver: "as operator; also approves, rejects and promotes CABs",
  admin: "everything: settings, credentials and tokens",
};

export function hasRole(caller: Caller, least: Role): boolean {
  return ROLES.indexOf(caller.role) >= ROLES.indexOf(least);
}

/** May run checks now (Check now, Check all now, Test a credential). */
export const canRunChecks = (caller: Caller) => hasRole(caller, "operator");
/** May acknowledge, snooze and add notes to alerts, and send test notifications. */
export const canHandleAlerts = (caller: Caller) => hasRole(caller, "operator");
/** May upload CABs and record where they are installed. */
export const canRecordCabs = (caller: Caller) => hasRole(caller, "operator");
/** May approve, reject and promote CABs (as far as the Bitbucket account may, too). */
export const canDecideCabs = (caller: Caller) => hasRole(caller, "approver");
/** May change the estate and settings, credentials and tokens. */
export const canAdminister = (caller: Caller) => hasRole(caller, "admin");

/** The desktop app's user, and what views rendered outside a signed-in console assume. */
export const LOCAL_CALLER: Caller = { name: "local user", role: "admin" };

export const CallerContext = createContext<Caller>(LOCAL_CALLER);

/** Who the console is signed in as. */
export function useCaller(): Caller {
  return useContext(CallerContext);
}
