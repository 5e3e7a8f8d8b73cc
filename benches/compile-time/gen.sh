# Generators of the compile-time benchmark's crates, sourced by run.sh.
#
# Each gen_<orm>_* function writes a file's text to stdout. The schema is the same for the
# three ORMs: N models Model1..ModelN on tables model1..modelN, each with the columns
#   id (i32, primary key), parent_id (i32, foreign key to the previous model's id; model 1:
#   Option<i32> and no foreign key), name (String), code (String), amount (i64), price (f64),
#   active (bool),
# and, for i < N, the one-to-many from model i to model i+1 (children) with its many-to-one
# back (parent), each written as that ORM's users write it.

# ---------------------------------------------------------------------------------------------
# ours: orm-core's #[derive(Model)]

gen_ours_models() {
    local n=$1 i
    echo "use orm_core::prelude::*;"
    for ((i = 1; i <= n; i++)); do
        echo
        echo "#[derive(Model, Debug)]"
        echo "#[orm(table = \"model$i\")]"
        echo "pub struct Model$i {"
        echo "    #[orm(primary_key)]"
        echo "    pub id: i32,"
        if ((i == 1)); then
            echo "    pub parent_id: Option<i32>,"
        else
            echo "    #[orm(foreign_key = \"model$((i - 1)).id\")]"
            echo "    pub parent_id: i32,"
        fi
        echo "    pub name: String,"
        echo "    pub code: String,"
        echo "    pub amount: i64,"
        echo "    pub price: f64,"
        echo "    pub active: bool,"
        if ((i < n)); then
            echo "    #[orm(has_many(Model$((i + 1)), foreign_key = \"parent_id\", backref = \"parent\"))]"
            echo "    pub children: HasMany<Model$((i + 1))>,"
        fi
        echo "}"
    done
}

gen_ours_main() {
    cat <<'RS'
mod models;

fn main() {
    println!("{}", models::Model1::table().name);
}
RS
}

# ---------------------------------------------------------------------------------------------
# Diesel 2.3: schema.rs as `diesel print-schema` writes it, models.rs as its guides write them.

gen_diesel_schema() {
    local n=$1 i
    echo "// @generated automatically by Diesel CLI."
    for ((i = 1; i <= n; i++)); do
        echo
        echo "diesel::table! {"
        echo "    model$i (id) {"
        echo "        id -> Integer,"
        if ((i == 1)); then
            echo "        parent_id -> Nullable<Integer>,"
        else
            echo "        parent_id -> Integer,"
        fi
        echo "        name -> Text,"
        echo "        code -> Text,"
        echo "        amount -> BigInt,"
        echo "        price -> Double,"
        echo "        active -> Bool,"
        echo "    }"
        echo "}"
    done
    echo
    for ((i = 2; i <= n; i++)); do
        echo "diesel::joinable!(model$i -> model$((i - 1)) (parent_id));"
    done
    echo
    echo "diesel::allow_tables_to_appear_in_same_query!("
    for ((i = 1; i <= n; i++)); do
        echo "    model$i,"
    done
    echo ");"
}

gen_diesel_models() {
    local n=$1 i derives parent_ty
    echo "use diesel::prelude::*;"
    for ((i = 1; i <= n; i++)); do
        echo
        if ((i == 1)); then
            derives="Queryable, Selectable, Identifiable, Debug"
            parent_ty="Option<i32>"
        else
            derives="Queryable, Selectable, Identifiable, Associations, Debug"
            parent_ty="i32"
        fi
        echo "#[derive($derives)]"
        echo "#[diesel(table_name = crate::schema::model$i)]"
        if ((i > 1)); then
            echo "#[diesel(belongs_to(Model$((i - 1)), foreign_key = parent_id))]"
        fi
        echo "#[diesel(check_for_backend(diesel::sqlite::Sqlite))]"
        echo "pub struct Model$i {"
        echo "    pub id: i32,"
        echo "    pub parent_id: $parent_ty,"
        echo "    pub name: String,"
        echo "    pub code: String,"
        echo "    pub amount: i64,"
        echo "    pub price: f64,"
        echo "    pub active: bool,"
        echo "}"
        echo
        echo "#[derive(Insertable)]"
        echo "#[diesel(table_name = crate::schema::model$i)]"
        echo "pub struct NewModel$i {"
        echo "    pub parent_id: $parent_ty,"
        echo "    pub name: String,"
        echo "    pub code: String,"
        echo "    pub amount: i64,"
        echo "    pub price: f64,"
        echo "    pub active: bool,"
        echo "}"
    done
}

# The table's name as its `table!` declares it: a constant, no query built (the trivial
# counterpart of the two others' table-name look-ups).
gen_diesel_main() {
    cat <<'RS'
mod models;
mod schema;

use diesel::internal::table_macro::StaticQueryFragment;

fn main() {
    println!("{}", <schema::model1::table as StaticQueryFragment>::STATIC_COMPONENT.0);
}
RS
}

# ---------------------------------------------------------------------------------------------
# SeaORM 2.0: the classic (1.x-style, `sea-orm-cli generate entity`) entity format, one module
# per entity.

gen_seaorm_models() {
    local n=$1 i
    for ((i = 1; i <= n; i++)); do
        ((i > 1)) && echo
        echo "pub mod model$i {"
        echo "    use sea_orm::entity::prelude::*;"
        echo
        echo "    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]"
        echo "    #[sea_orm(table_name = \"model$i\")]"
        echo "    pub struct Model {"
        echo "        #[sea_orm(primary_key)]"
        echo "        pub id: i32,"
        if ((i == 1)); then
            echo "        pub parent_id: Option<i32>,"
        else
            echo "        pub parent_id: i32,"
        fi
        echo "        pub name: String,"
        echo "        pub code: String,"
        echo "        pub amount: i64,"
        echo "        pub price: f64,"
        echo "        pub active: bool,"
        echo "    }"
        echo
        echo "    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]"
        echo "    pub enum Relation {"
        if ((i > 1)); then
            echo "        #[sea_orm("
            echo "            belongs_to = \"super::model$((i - 1))::Entity\","
            echo "            from = \"Column::ParentId\","
            echo "            to = \"super::model$((i - 1))::Column::Id\""
            echo "        )]"
            echo "        Parent,"
        fi
        if ((i < n)); then
            echo "        #[sea_orm(has_many = \"super::model$((i + 1))::Entity\")]"
            echo "        Children,"
        fi
        echo "    }"
        if ((i > 1)); then
            echo
            echo "    impl Related<super::model$((i - 1))::Entity> for Entity {"
            echo "        fn to() -> RelationDef {"
            echo "            Relation::Parent.def()"
            echo "        }"
            echo "    }"
        fi
        if ((i < n)); then
            echo
            echo "    impl Related<super::model$((i + 1))::Entity> for Entity {"
            echo "        fn to() -> RelationDef {"
            echo "            Relation::Children.def()"
            echo "        }"
            echo "    }"
        fi
        echo
        echo "    impl ActiveModelBehavior for ActiveModel {}"
        echo "}"
    done
}

gen_seaorm_main() {
    cat <<'RS'
mod models;

use sea_orm::EntityName;

fn main() {
    println!("{}", models::model1::Entity.table_name());
}
RS
}

# ---------------------------------------------------------------------------------------------
# Cargo manifests.

# gen_dependencies ORM REPO_ROOT: the [dependencies] lines of a crate for ORM.
gen_dependencies() {
    case $1 in
    ours) echo "orm-core = { path = \"$2/orm-core\" }" ;;
    diesel)
        echo 'diesel = { version = "~2.3", features = ["sqlite"] }'
        echo 'libsqlite3-sys = { version = "*", features = ["bundled"] }'
        ;;
    seaorm) echo 'sea-orm = { version = "2.0", default-features = false, features = ["macros", "sqlx-sqlite", "runtime-tokio-rustls"] }' ;;
    *) echo "unknown ORM: $1" >&2; return 1 ;;
    esac
}

# gen_crate_manifest NAME ORM REPO_ROOT
gen_crate_manifest() {
    cat <<TOML
[package]
name = "$1"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
$(gen_dependencies "$2" "$3")
TOML
}

# gen_workspace_manifest N...: the per-ORM workspace, with the repository's dev profile.
gen_workspace_manifest() {
    local members="" n
    for n in "$@"; do members+="${members:+, }\"n$n\""; done
    cat <<TOML
# Generated by benches/compile-time/run.sh: one workspace per ORM, its crates sharing one
# target directory so that the dependencies build once.
[workspace]
resolver = "3"
members = [$members]

[profile.dev]
debug = "line-tables-only"

[profile.dev.package."*"]
debug = false
TOML
}
