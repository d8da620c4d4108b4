import { Arg, Ctx, Field, InputType, Mutation, Resolver } from "type-graphql";
import type { RequestContext } from "../common/request-context";
import { type Permission, PermissionRisk } from "./permission.entity";
import { PermissionType } from "./catalog.types";

@InputType()
export class SetPermissionInput {
  @Field({ description: "e.g. database:read; scoped forms (database:read:analytics) fall under their prefix entry." })
  name: string;

  @Field()
  description: string;

  @Field(() => PermissionRisk)
  risk: PermissionRisk;
}

@Resolver(() => PermissionType)
export class PermissionAdminResolver {
  @Mutation(() => PermissionType, { description: "Adds or edits a permission catalogue entry. Admins only." })
  setPermission(@Ctx() ctx: RequestContext, @Arg("input") input: SetPermissionInput): Promise<Permission> {
    return ctx.runtime.services.identity.setPermission(ctx, input);
  }
}
