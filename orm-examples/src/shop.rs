//! The shop's models, shared by the `shop` and `reports` examples: customers with
//! loyalty cards, a category tree, products in categories, orders and their lines.

use orm_core::Hooks;
use orm_core::prelude::*;

#[derive(Model, Debug)]
#[orm(table = "customers", hooks)]
pub struct Customer {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(unique, length = 120)]
    pub email: String,
    pub name: String,
    #[orm(has_many(Order, foreign_key = "customer_id", backref = "customer", cascade = "all, delete-orphan"))]
    pub orders: HasMany<Order>,
    #[orm(has_one(LoyaltyCard, foreign_key = "customer_id", backref = "holder", cascade = "all, delete-orphan"))]
    pub card: HasOne<LoyaltyCard>,
}

/// Emails are stored in lower case, and must look like one.
impl Hooks for Customer {
    fn before_insert(&mut self) -> orm_core::Result<()> {
        self.email = self.email.trim().to_lowercase();
        Ok(())
    }

    fn validate(&self) -> Result<(), String> {
        if !self.email.contains('@') {
            return Err(format!("`{}` is not an email address", self.email));
        }
        Ok(())
    }
}

/// Where an order stands: a PostgreSQL ENUM type (text with a CHECK on SQLite).
#[derive(ColumnType, Debug, Clone, Copy, Default, PartialEq)]
#[orm(pg_enum = "order_status")]
pub enum OrderStatus {
    #[default]
    Open,
    Paid,
    Shipped,
}

/// One card per customer (one-to-one: `customer_id` is unique).
#[derive(Model, Debug)]
#[orm(table = "loyalty_cards")]
pub struct LoyaltyCard {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(default = 0)]
    pub points: i32,
    #[orm(foreign_key = "customers.id", on_delete = "cascade", unique)]
    pub customer_id: i32,
}

/// A tree of categories (self-referential), shared by products (many-to-many).
#[derive(Model, Debug)]
#[orm(table = "categories")]
pub struct Category {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(unique)]
    pub name: String,
    #[orm(foreign_key = "categories.id", on_delete = "cascade")]
    pub parent_id: Option<i32>,
    #[orm(has_many(Category, foreign_key = "parent_id", backref = "parent", cascade = "all"))]
    pub children: HasMany<Category>,
}

#[derive(Model, Debug)]
#[orm(table = "products")]
pub struct Product {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(unique)]
    pub sku: String,
    pub title: String,
    pub price_cents: i64,
    #[orm(check = "stock >= 0")]
    pub stock: i32,
    /// Two sessions selling the last cake: the second is refused (StaleData).
    #[orm(version)]
    pub version: i32,
    #[orm(many_to_many(Category, secondary = "product_categories", backref = "products"))]
    pub categories: ManyToMany<Category>,
    #[orm(has_many(OrderLine, foreign_key = "product_id", backref = "product"))]
    pub lines: HasMany<OrderLine>,
}

#[derive(Model, Debug)]
#[orm(table = "orders")]
pub struct Order {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(foreign_key = "customers.id", on_delete = "cascade")]
    pub customer_id: i32,
    #[orm(default = OrderStatus::Open)]
    pub status: OrderStatus,
    #[orm(has_many(OrderLine, foreign_key = "order_id", backref = "order", cascade = "all, delete-orphan"))]
    pub lines: HasMany<OrderLine>,
}

#[derive(Model, Debug)]
#[orm(table = "order_lines")]
pub struct OrderLine {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(foreign_key = "orders.id", on_delete = "cascade")]
    pub order_id: i64,
    #[orm(foreign_key = "products.id")]
    pub product_id: i32,
    pub quantity: i32,
}
