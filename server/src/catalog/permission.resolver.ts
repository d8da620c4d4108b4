import { Arg, Ctx, Field, InputType, Mutation, Resolver } from "type-graphql";
import { Access, AccessRule } from "../identity/access";
import { TokenScope } from "../identity/api-token.entity";
import type { ViewerContext } from "../identity/viewer";
import { type Permission, PermissionRisk } from "./permission.entity";
import type { PermissionCatalogueService } from "./permission-catalogue.service";
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
  constructor(private readonly permissionCatalogue: PermissionCatalogueService) {}

  @Access(AccessRule.ADMIN, TokenScope.ADMIN)
  @Mutation(() => PermissionType, { description: "Adds or edits a permission catalogue entry. Admins only." })
  setPermission(@Ctx() ctx: ViewerContext, @Arg("input") input: SetPermissionInput): Promise<Permission> {
    return this.permissionCatalogue.setPermission(ctx, input);
  }
}
